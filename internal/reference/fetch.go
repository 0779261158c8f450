package reference

import (
	"context"
	"errors"
	"net/http"
)

// routeKind says how a route answers when the session is lost or the
// backend fails: api routes in JSON, pages in HTML and redirects.
type routeKind int

const (
	kindAPI routeKind = iota
	kindPage
)

// fetchResult is what the fetch path did for one request.
type fetchResult struct {
	answer      *backendAnswer // the last resource answer; nil when none came
	resourceErr error          // the last resource call got no answer
	refreshErr  *refreshError  // the refresh failed
	rotated     *session       // the session after a successful refresh
	cookie      *http.Cookie   // its sealed cookie, shared by every request of the refresh
	cookieErr   error          // it could not be sealed (too large)
}

// performFetch is the seed design's performFetch and refreshAccessToken in
// one: call the resource with the session's access token; on a 401 refresh
// once (shared with concurrent requests of the session) and retry once with
// the same method, the same body and the new access token. A 401 to the
// retry is the outcome: a fresh token refused is a session the backend no
// longer honours, and refreshing again would loop.
func (s *Server) performFetch(ctx context.Context, sess *session, method, path string, body []byte) fetchResult {
	var res fetchResult
	res.answer, res.resourceErr = s.callResource(ctx, method, path, sess.Access, body)
	if res.resourceErr != nil || res.answer.Status != http.StatusUnauthorized {
		return res
	}

	seal := func(t rotatedTokens) (*http.Cookie, error) {
		return s.store.cookie(sess.rotated(t))
	}
	out, err := s.refresher.refresh(ctx, sess.Refresh, seal)
	if err != nil {
		var rerr *refreshError
		if !errors.As(err, &rerr) {
			rerr = &refreshError{kind: refreshUnavailable, err: err}
		}
		res.refreshErr = rerr
		return res
	}
	res.rotated, res.cookie, res.cookieErr = sess.rotated(out.tokens), out.cookie, out.sealErr

	// No answer to the retry replaces the first 401 as the outcome: the
	// refresh succeeded, so a retry that timed out keeps the session, with
	// the rotated tokens saved.
	res.answer, res.resourceErr = s.callResource(ctx, method, path, res.rotated.Access, body)
	return res
}

// callResource makes one resource call; a call without an answer is logged.
func (s *Server) callResource(ctx context.Context, method, path, access string, body []byte) (*backendAnswer, error) {
	ans, err := s.backend.do(ctx, method, path, access, body)
	if err != nil {
		s.log.Warn("resource call failed", "method", method, "path", path, "error", err)
		return nil, err
	}
	return ans, nil
}

// finish turns a fetchResult into the response: the session cookie first
// (rotated, resealed, cleared or untouched), then the answer. success writes
// a 2xx backend answer.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, kind routeKind, rs requestSession, res fetchResult, success func(ans *backendAnswer)) {
	if e := res.refreshErr; e != nil {
		switch e.kind {
		case refreshInvalidGrant:
			s.sessionLost(w, r, kind, "refresh_failed", "the session has ended; sign in again")
		case refreshRateLimited:
			if e.retryAfter != "" {
				w.Header().Set("Retry-After", e.retryAfter)
			}
			s.fail(w, kind, http.StatusServiceUnavailable, "refresh_rate_limited", "the backend is limiting token refreshes; try again shortly (you are still signed in)")
		case refreshCoordinationFailed:
			s.fail(w, kind, http.StatusServiceUnavailable, "refresh_unavailable", "the session's refresh could not be coordinated with the other instances; try again shortly (you are still signed in)")
		default:
			s.fail(w, kind, http.StatusBadGateway, "refresh_unavailable", "the backend could not refresh the session; try again (you are still signed in)")
		}
		return
	}

	if res.answer != nil && res.answer.Status == http.StatusUnauthorized {
		// Rejected even after a successful refresh (or without one): the
		// session cannot be recovered.
		s.sessionLost(w, r, kind, "unauthorized", "the backend rejected the session; sign in again")
		return
	}

	switch {
	case res.rotated != nil:
		if res.cookieErr != nil {
			s.log.Error("rotated session not saved", "error", res.cookieErr)
			s.fail(w, kind, http.StatusBadGateway, "session_too_large", res.cookieErr.Error())
			return
		}
		http.SetCookie(w, res.cookie)
	case rs.reseal:
		if !s.saveSession(w, kind, rs.sess) {
			return
		}
	}

	if res.resourceErr != nil {
		s.fail(w, kind, http.StatusBadGateway, "backend_unavailable", "the backend did not answer")
		return
	}

	ans := res.answer
	switch {
	case ans.Status >= 200 && ans.Status < 300:
		success(ans)
	case ans.Status >= 500:
		s.fail(w, kind, http.StatusBadGateway, "backend_error", "the backend failed on this request")
	case kind == kindAPI:
		if ans.RetryAfter != "" {
			w.Header().Set("Retry-After", ans.RetryAfter)
		}
		writeRawJSON(w, ans.Status, ans.Body)
	default:
		renderError(w, ans.Status, http.StatusText(ans.Status), "the backend refused this request")
	}
}

// saveSession sets the cookie for sess, or answers 502 when it cannot be
// stored (too large for a browser to keep) and reports false.
func (s *Server) saveSession(w http.ResponseWriter, kind routeKind, sess *session) bool {
	c, err := s.store.cookie(sess)
	if err != nil {
		s.log.Error("session not saved", "error", err)
		s.fail(w, kind, http.StatusBadGateway, "session_too_large", err.Error())
		return false
	}
	http.SetCookie(w, c)
	return true
}

// sessionLost destroys the session: api routes answer 401 JSON, pages
// redirect to /login, both with the cookie cleared.
func (s *Server) sessionLost(w http.ResponseWriter, r *http.Request, kind routeKind, code, message string) {
	http.SetCookie(w, s.store.clearCookie())
	if kind == kindAPI {
		writeError(w, http.StatusUnauthorized, code, message)
		return
	}
	redirect(w, r, "/login")
}

// fail answers a failure that keeps the session as it is.
func (s *Server) fail(w http.ResponseWriter, kind routeKind, status int, code, message string) {
	if kind == kindAPI {
		writeError(w, status, code, message)
		return
	}
	renderError(w, status, http.StatusText(status), message)
}
