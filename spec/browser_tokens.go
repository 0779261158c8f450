package spec

// brHoldsToken reports whether value holds token as written or inside any
// decoding the proxy leak scan sees through (percent-encoding, base64 from
// any of the first four characters of a run, zlib/deflate/gzip, nested): a
// token that page scripts can read after decoding steps is as exposed as a
// plain one. W1.2 and P1.1/P8.4 share pxDecodings so they agree on what a
// leak is.
func brHoldsToken(value, token string) bool {
	if token == "" || value == "" {
		return false
	}
	return pxAnyContains(pxDecodings(value), token)
}
