package spec

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
)

// The leak scan of P1.1 and P8.4: does any token the backend issued appear in
// a response the client got? A token may be there as is, or hidden in a
// cookie that is only encoded or signed, not encrypted: base64 (standard or
// URL alphabet, padded or not), percent-encoding, or gorilla/securecookie's
// format (base64url of "date|value|mac" whose value is base64 again, of gob
// or JSON), or compressed first as Flask's and Django's signed cookies are
// (zlib, deflate or gzip). The scan decodes every base64-looking run a few
// levels deep and looks for each token in every decoding.

const (
	pxLeakDepth         = 5       // levels of nested decoding
	pxLeakMaxCandidates = 10000   // decodings looked at per text, a bound against blow-up
	pxLeakMinRun        = 12      // shorter base64 runs are not worth decoding
	pxLeakMinToken      = 8       // shorter tokens would match by chance
	pxLeakMaxOffset     = 3       // a base64 run is also decoded from its 2nd, 3rd and 4th character
	pxLeakMaxInflate    = 1 << 20 // bytes one decompression may produce
)

var pxEncodings = []*base64.Encoding{
	base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
}

// pxScanLeaks returns where, among the recorded responses, a token appears:
// "GET /api/me → 200: header X-Token holds access token ab12cd… (family f1)".
func pxScanLeaks(tokens map[string]control.Token, recs []pxRecorded) []string {
	var out []string
	for _, r := range recs {
		for _, place := range pxPlaces(r) {
			for _, tok := range pxTokensIn(place.text, tokens) {
				t := tokens[tok]
				out = append(out, fmt.Sprintf("%s: %s holds %s token %s (family %s, generation %d)",
					r.Where, place.name, t.Kind, pxFingerprint(tok), t.Family, t.Generation))
			}
		}
	}
	return out
}

type pxPlace struct{ name, text string }

// pxPlaces are the texts of one response the scan looks at: the body, every
// header value, and every cookie's value on its own.
func pxPlaces(r pxRecorded) []pxPlace {
	places := []pxPlace{{"the body", string(r.Body)}}
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			places = append(places, pxPlace{"header " + k, v})
		}
	}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		places = append(places, pxPlace{"the value of cookie " + c.Name, c.Value})
	}
	return places
}

// pxTokensIn returns the tokens found in text or in any of its decodings.
func pxTokensIn(text string, tokens map[string]control.Token) []string {
	if len(tokens) == 0 || text == "" {
		return nil
	}
	cands := pxDecodings(text)
	var found []string
	for tok := range tokens {
		if len(tok) < pxLeakMinToken {
			continue
		}
		if pxAnyContains(cands, tok) {
			found = append(found, tok)
		}
	}
	sort.Strings(found)
	return found
}

// pxDecodings returns text and everything it decodes to, a few levels deep:
// percent-decoding, base64 of every run (from its first character and from
// the next three, since a prefix such as "v1" or "." may be glued to the
// encoding), and zlib, raw deflate or gzip of every decoded byte string
// (Flask's and Django's signed cookies compress before they encode). Both the
// proxy leak scan (P1.1, P8.4) and the browser's script-storage scan (W1.2)
// use it, so they see through the same disguises.
func pxDecodings(text string) map[string]bool {
	cands := map[string]bool{}
	pxExpand(text, 0, cands)
	return cands
}

func pxAnyContains(cands map[string]bool, tok string) bool {
	for c := range cands {
		if strings.Contains(c, tok) {
			return true
		}
	}
	return false
}

// pxExpand adds s and everything it decodes to, recursively, to out.
func pxExpand(s string, depth int, out map[string]bool) {
	if out[s] || len(out) >= pxLeakMaxCandidates {
		return
	}
	out[s] = true
	if depth >= pxLeakDepth {
		return
	}
	if strings.Contains(s, "%") {
		if u, err := url.QueryUnescape(s); err == nil && u != s {
			pxExpand(u, depth+1, out)
		}
	}
	for _, run := range pxBase64Runs(s) {
		for off := 0; off <= pxLeakMaxOffset && len(run)-off >= pxLeakMinRun; off++ {
			for _, enc := range pxEncodings {
				in := run[off:]
				if enc == base64.RawStdEncoding || enc == base64.RawURLEncoding {
					in = strings.TrimRight(in, "=")
				}
				b, err := enc.DecodeString(in)
				if err != nil || len(b) == 0 {
					continue
				}
				pxExpand(string(b), depth+1, out)
				for _, d := range pxDecompressions(b) {
					pxExpand(d, depth+2, out)
				}
			}
		}
	}
}

// pxDecompressions returns what b inflates to as zlib, raw deflate or gzip,
// for each format that reads b to its end without error. Output is capped
// at pxLeakMaxInflate bytes, a bound against decompression bombs. zlib and
// gzip are only tried behind their headers, and the raw deflate reader (32
// KiB of window) is pooled: the scan tries every base64 run of a page, and
// allocating a reader for each would dominate its time.
func pxDecompressions(b []byte) []string {
	var out []string
	keep := func(r io.Reader) {
		d, err := io.ReadAll(io.LimitReader(r, pxLeakMaxInflate))
		if (err == nil || len(d) == pxLeakMaxInflate) && len(d) > 0 {
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
	fr := pxInflaters.Get().(io.ReadCloser)
	if err := fr.(flate.Resetter).Reset(bytes.NewReader(b), nil); err == nil {
		keep(fr)
	}
	pxInflaters.Put(fr)
	return out
}

var pxInflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

// pxBase64Runs are the maximal runs of base64 characters (either alphabet)
// with their trailing padding, at least pxLeakMinRun long. Separators such as
// "|" (securecookie), "." (JWT) or "*" (iron) split runs on their own.
func pxBase64Runs(s string) []string {
	var runs []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= pxLeakMinRun {
			runs = append(runs, s[start:end])
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case pxIsB64(c):
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

func pxIsB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '-' || c == '_'
}
