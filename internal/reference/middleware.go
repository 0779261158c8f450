package reference

import (
	"errors"
	"io"
	"net/http"
	"runtime/debug"
)

// MaxBodyBytes bounds every request body; bigger ones get 413.
const MaxBodyBytes = 1 << 20

var errBodyTooLarge = errors.New("request body over 1 MiB")

// limitBody refuses a declared oversized body at once and caps the rest, so
// a handler reading the body meets *http.MaxBytesError instead of memory
// exhaustion.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is over 1 MiB")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole (capped) request body.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errBodyTooLarge
	}
	return b, err
}

// recoverPanics is the last guard: a bug in a handler answers 500 JSON and
// is logged, instead of killing the connection without a word.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, "internal_error", "the proxy failed on this request; see its log")
		}()
		next.ServeHTTP(w, r)
	})
}
