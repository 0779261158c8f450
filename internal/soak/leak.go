package soak

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
)

// tokenLength is the length of the fake backend's tokens: 32 random bytes
// in unpadded base64url.
const tokenLength = 43

// leakScanner keeps every run of token characters long enough to hold a
// token, from everything the clients received, and checks them against the
// issued tokens at the end, when the journal has named every token. Runs
// repeat a lot (the same bodies, one cookie per rotation), so the set stays
// small.
type leakScanner struct {
	mu   sync.Mutex
	runs map[string]struct{}
}

func newLeakScanner() *leakScanner { return &leakScanner{runs: map[string]struct{}{}} }

// response adds what a client could see of one answer: the body, every
// header line, and every session cookie raw and base64-decoded (once, and
// each "|" part once more, which is how securecookie nests its fields).
func (s *leakScanner) response(h http.Header, body []byte) {
	var hay []string
	hay = append(hay, string(body))
	for name, vs := range h {
		for _, v := range vs {
			hay = append(hay, name+": "+v)
		}
	}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		hay = append(hay, decodings(c.Value)...)
	}
	s.add(hay...)
}

func (s *leakScanner) add(hay ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hay {
		for _, run := range tokenRuns(h) {
			s.runs[run] = struct{}{}
		}
	}
}

// leaks counts the runs that hold an issued token.
func (s *leakScanner) leaks(issued map[string]bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for run := range s.runs {
		if containsToken(run, issued) {
			n++
		}
	}
	return n
}

// logLeaks counts the log lines that hold an issued token, raw or inside
// a base64-encoded run.
func logLeaks(logs string, issued map[string]bool) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if lineLeaks(line, issued) {
			n++
		}
	}
	return n
}

func lineLeaks(line string, issued map[string]bool) bool {
	for _, run := range tokenRuns(line) {
		for _, d := range decodings(run) {
			for _, inner := range tokenRuns(d) {
				if containsToken(inner, issued) {
					return true
				}
			}
		}
	}
	return false
}

func containsToken(run string, issued map[string]bool) bool {
	for i := 0; i+tokenLength <= len(run); i++ {
		if issued[run[i:i+tokenLength]] {
			return true
		}
	}
	return false
}

func isTokenByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// tokenRuns are the maximal runs of base64url characters in h at least a
// token long.
func tokenRuns(h string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(h); i++ {
		if i < len(h) && isTokenByte(h[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= tokenLength {
			out = append(out, h[start:i])
		}
		start = -1
	}
	return out
}

// decodings are v and what base64 decoding v, and each "|"-separated part
// of that, yields.
func decodings(v string) []string {
	out := []string{v}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		d, err := enc.DecodeString(v)
		if err != nil {
			continue
		}
		out = append(out, string(d))
		for _, part := range strings.Split(string(d), "|") {
			for _, enc2 := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
				if d2, err := enc2.DecodeString(part); err == nil {
					out = append(out, string(d2))
				}
			}
		}
	}
	return out
}
