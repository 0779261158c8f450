package spec

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// brHoldsToken reports whether value holds token as written, URL-escaped, or
// inside a base64 or base64url encoding: a token that page scripts can read
// after one decoding step is as exposed as a plain one.
func brHoldsToken(value, token string) bool {
	if token == "" {
		return false
	}
	for _, v := range brDecodings(value) {
		if strings.Contains(v, token) {
			return true
		}
	}
	return false
}

// brDecodings returns value, its URL-unescaped form, and the base64 decodings
// of both (standard and URL alphabets, padded or not), without quotes.
func brDecodings(value string) []string {
	out := []string{value}
	if u, err := url.QueryUnescape(value); err == nil && u != value {
		out = append(out, u)
	}
	for _, v := range append([]string(nil), out...) {
		v = strings.Trim(v, `"`)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(v); err == nil {
				out = append(out, string(b))
			}
		}
	}
	return out
}
