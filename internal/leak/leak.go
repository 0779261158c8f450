package leak

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
)

const (
	maxDepth      = 5       // levels of nested decoding
	maxCandidates = 10000   // decodings looked at per text, a bound against blow-up
	minRun        = 12      // shorter base64 runs are not worth decoding
	minToken      = 8       // shorter tokens would match by chance
	maxOffset     = 3       // a base64 run is also decoded from its 2nd, 3rd and 4th character
	maxInflate    = 1 << 20 // bytes one decompression may produce
)

var encodings = []*base64.Encoding{
	base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
}

// Response is one response the client got, as the scan reads it.
type Response struct {
	Where  string // "GET /api/me → 200", for the report
	Header http.Header
	Body   []byte
}

// Scan returns where, among the responses, a token appears, one line each:
// "GET /api/me → 200: header X-Token holds access token 1a2b3c4d (family
// f1, generation 0)", the token shown as its control.Fingerprint. Tokens
// shorter than 8 characters are not looked for: they would match by chance.
func Scan(tokens map[string]control.Token, responses []Response) []string {
	var out []string
	for _, r := range responses {
		for _, p := range places(r) {
			for _, tok := range tokensIn(p.text, tokens) {
				t := tokens[tok]
				out = append(out, fmt.Sprintf("%s: %s holds %s token %s (family %s, generation %d)",
					r.Where, p.name, t.Kind, control.Fingerprint(tok), t.Family, t.Generation))
			}
		}
	}
	return out
}

type place struct{ name, text string }

// places are the texts of one response the scan looks at: the body, every
// header value, and every cookie's value on its own.
func places(r Response) []place {
	out := []place{{"the body", string(r.Body)}}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			out = append(out, place{"header " + k, v})
		}
	}
	cookies := (&http.Response{Header: r.Header}).Cookies()
	for _, c := range cookies {
		out = append(out, place{"the value of cookie " + c.Name, c.Value})
	}
	// A value split over chunks (NAME.0, NAME.1, ...; NAME_0, ...) is
	// scanned joined too: a token cut at a chunk's end is in neither.
	chunks := map[string][]*http.Cookie{}
	var bases []string
	for _, c := range cookies {
		if n := sessioncookie.ParseName(c.Name); n.Part == sessioncookie.Chunk {
			if chunks[n.Prefix+n.Base] == nil {
				bases = append(bases, n.Prefix+n.Base)
			}
			chunks[n.Prefix+n.Base] = append(chunks[n.Prefix+n.Base], c)
		}
	}
	for _, b := range bases {
		if len(chunks[b]) > 1 {
			out = append(out, place{"the value of the chunks of cookie " + b + " joined", sessioncookie.Value(chunks[b])})
		}
	}
	return out
}

// tokensIn returns the tokens found in text or in any of its decodings.
func tokensIn(text string, tokens map[string]control.Token) []string {
	if len(tokens) == 0 || text == "" {
		return nil
	}
	decoded := Decode(text)
	var found []string
	for tok := range tokens {
		if len(tok) < minToken {
			continue
		}
		if decoded.Contain(tok) {
			found = append(found, tok)
		}
	}
	sort.Strings(found)
	return found
}

// Decodings is a text and everything it decodes to.
type Decodings map[string]bool

// Decode returns text and everything it decodes to, a few levels deep:
// percent-decoding, base64 of every run (from its first character and from
// the next three, since a prefix such as "v1" or "." may be glued to the
// encoding), and zlib, raw deflate or gzip of every decoded byte string.
func Decode(text string) Decodings {
	d := Decodings{}
	d.expand(text, 0)
	return d
}

// Contain reports whether token appears in any of the decodings. The empty
// token appears nowhere.
func (d Decodings) Contain(token string) bool {
	if token == "" {
		return false
	}
	for c := range d {
		if strings.Contains(c, token) {
			return true
		}
	}
	return false
}

// expand adds s and everything it decodes to, recursively.
func (d Decodings) expand(s string, depth int) {
	if d[s] || len(d) >= maxCandidates {
		return
	}
	d[s] = true
	if depth >= maxDepth {
		return
	}
	if strings.Contains(s, "%") {
		if u, err := url.QueryUnescape(s); err == nil && u != s {
			d.expand(u, depth+1)
		}
	}
	for _, run := range base64Runs(s) {
		for off := 0; off <= maxOffset && len(run)-off >= minRun; off++ {
			for _, enc := range encodings {
				in := run[off:]
				if enc == base64.RawStdEncoding || enc == base64.RawURLEncoding {
					in = strings.TrimRight(in, "=")
				}
				b, err := enc.DecodeString(in)
				if err != nil || len(b) == 0 {
					continue
				}
				d.expand(string(b), depth+1)
				for _, inflated := range decompressions(b) {
					d.expand(inflated, depth+2)
				}
			}
		}
	}
}

// decompressions returns what b inflates to as zlib, raw deflate or gzip,
// for each format that reads b to its end without error. Output is capped
// at maxInflate bytes, a bound against decompression bombs. zlib and gzip
// are only tried behind their headers, and the raw deflate reader (32 KiB of
// window) is pooled: the scan tries every base64 run of a page, and
// allocating a reader for each would dominate its time.
func decompressions(b []byte) []string {
	var out []string
	keep := func(r io.Reader) {
		d, err := io.ReadAll(io.LimitReader(r, maxInflate))
		if (err == nil || len(d) == maxInflate) && len(d) > 0 {
			out = append(out, string(d))
		}
	}
	if len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 {
		if r, err := zlib.NewReader(bytes.NewReader(b)); err == nil {
			keep(r)
		}
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		if r, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			keep(r)
		}
	}
	fr := inflaters.Get().(io.ReadCloser)
	if err := fr.(flate.Resetter).Reset(bytes.NewReader(b), nil); err == nil {
		keep(fr)
	}
	inflaters.Put(fr)
	return out
}

var inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

// base64Runs are the maximal runs of base64 characters (either alphabet)
// with their trailing padding, at least minRun long. Separators such as "|"
// (securecookie), "." (JWT) or "*" (iron) split runs on their own.
func base64Runs(s string) []string {
	var runs []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= minRun {
			runs = append(runs, s[start:end])
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isBase64(c):
			if start < 0 {
				start = i
			}
		case c == '=' && start >= 0:
			// padding ends a run
			j := i
			for j < len(s) && s[j] == '=' {
				j++
			}
			flush(j)
			i = j - 1
		default:
			flush(i)
		}
	}
	flush(len(s))
	return runs
}

// isBase64 reports whether c belongs to either base64 alphabet.
func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '-' || c == '_'
}
