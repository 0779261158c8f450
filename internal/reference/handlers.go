package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/refreshspec/refreshspec/dialect"
)

// requestSession is the session a request arrived with.
type requestSession struct {
	sess      *session // nil: anonymous
	reseal    bool     // unsealed under an older secret: reseal under the first
	presented bool     // a non-empty session cookie came with the request
	err       error    // why sess is nil
}

func (s *Server) openSession(r *http.Request) requestSession {
	sess, reseal, err := s.store.open(r)
	rs := requestSession{sess: sess, reseal: reseal, err: err}
	rs.presented = !errors.Is(err, errNoCookie)
	if err != nil && rs.presented {
		s.log.Info("session cookie refused", "path", r.URL.Path, "reason", err.Error())
	}
	return rs
}

// anonymous answers a request that needs a session and has none: no backend
// call; api routes 401 JSON, pages a redirect to /login; a cookie that came
// and could not be used is cleared.
func (s *Server) anonymous(w http.ResponseWriter, r *http.Request, kind routeKind, rs requestSession) {
	if rs.presented {
		http.SetCookie(w, s.store.clearCookie())
	}
	if kind == kindAPI {
		writeError(w, http.StatusUnauthorized, "no_session", "sign in first")
		return
	}
	redirect(w, r, "/login")
}

// withSession runs next with the request's session, or answers for an
// anonymous one.
func (s *Server) withSession(w http.ResponseWriter, r *http.Request, kind routeKind) (requestSession, bool) {
	rs := s.openSession(r)
	if rs.sess != nil {
		return rs, true
	}
	s.anonymous(w, r, kind, rs)
	return rs, false
}

// GET /login: always 200, whatever cookie came along.
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	rs := s.openSession(r)
	if rs.presented && rs.sess == nil {
		http.SetCookie(w, s.store.clearCookie())
	}
	renderPage(w, http.StatusOK, "login", pageData{Title: "Sign in"})
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// POST /login: JSON or form.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	form := isForm(r)
	body, err := readBody(r)
	if err != nil {
		s.bodyError(w, err)
		return
	}
	creds, err := parseCredentials(r, body, form)
	if err != nil {
		if form {
			renderPage(w, http.StatusBadRequest, "login", pageData{Title: "Sign in", Error: err.Error(), Email: creds.Email})
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	ans, err := s.backend.login(r.Context(), creds.Email, creds.Password)
	if err != nil {
		s.log.Warn("login call failed", "error", err)
		s.loginFailure(w, form, creds, http.StatusBadGateway, "backend_unavailable", "the backend did not answer; try again")
		return
	}
	switch {
	case ans.Status == http.StatusOK:
	case s.backend.wrongCredentials(ans):
		s.loginFailure(w, form, creds, http.StatusUnauthorized, "invalid_credentials", "wrong email or password")
		return
	case ans.Status == http.StatusBadRequest:
		s.loginFailure(w, form, creds, http.StatusBadRequest, "invalid_request", "the backend refused the request")
		return
	case ans.Status == http.StatusTooManyRequests:
		if ans.RetryAfter != "" {
			w.Header().Set("Retry-After", ans.RetryAfter)
		}
		s.loginFailure(w, form, creds, http.StatusTooManyRequests, "rate_limited", "too many attempts; try again shortly")
		return
	default:
		code, _ := s.backend.mapping.ReadError(ans.Body)
		s.log.Warn("login refused by the backend", "status", ans.Status, "error", code)
		s.loginFailure(w, form, creds, http.StatusBadGateway, "backend_error", "the backend failed to sign you in")
		return
	}

	t, err := s.backend.readTokens(ans.Body)
	if err != nil {
		s.log.Warn("login answer malformed", "error", err)
		s.loginFailure(w, form, creds, http.StatusBadGateway, "backend_error", "the backend's answer could not be read")
		return
	}
	u := s.loginUser(r.Context(), ans.Body, t.Access)
	sess := &session{
		Access:        t.Access,
		Refresh:       t.Refresh,
		RefreshExpiry: s.cfg.now().Add(SessionLifetime).Unix(),
		UserID:        u.ID,
		FirstName:     u.FirstName,
	}
	c, err := s.store.cookie(sess)
	if err != nil {
		s.log.Error("session not saved at login", "error", err)
		s.loginFailure(w, form, creds, http.StatusBadGateway, "session_too_large", err.Error())
		return
	}
	http.SetCookie(w, c)
	s.log.Info("login", "user", u.ID, "token", fingerprint(sess.Refresh))
	if form {
		redirect(w, r, "/profile")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
		User    user `json:"user"`
	}{true, u})
}

// loginUser is the user a login answer carries, or, where it carries none (an
// OAuth 2.0 token answer), the one the protected resource answers for the
// new access token. A user that cannot be read is left empty: the tokens are
// what the session needs, and the profile page asks the backend again.
func (s *Server) loginUser(ctx context.Context, answer []byte, access string) user {
	m := &s.backend.mapping
	if dialect.Has(m.Paths.FirstName) {
		return readUser(answer, m.Paths.FirstName)
	}
	if !dialect.Has(m.Paths.MeFirstName) {
		return user{}
	}
	me, err := s.backend.do(ctx, m.Me.Method, m.Me.Path, access, nil)
	if err != nil || me.Status != http.StatusOK {
		s.log.Warn("the user's name was not read at login", "error", err)
		return user{}
	}
	return readUser(me.Body, m.Paths.MeFirstName)
}

func (s *Server) loginFailure(w http.ResponseWriter, form bool, creds credentials, status int, code, message string) {
	if form {
		renderPage(w, status, "login", pageData{Title: "Sign in", Error: message, Email: creds.Email})
		return
	}
	writeError(w, status, code, message)
}

func (s *Server) bodyError(w http.ResponseWriter, err error) {
	if errors.Is(err, errBodyTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is over 1 MiB")
		return
	}
	writeError(w, http.StatusBadRequest, "invalid_request", "the request body could not be read")
}

func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data")
}

func parseCredentials(r *http.Request, body []byte, form bool) (credentials, error) {
	var c credentials
	if form {
		values, err := formValues(r, body)
		if err != nil {
			return c, errors.New("the form could not be read")
		}
		c.Email, c.Password = strings.TrimSpace(values.Get("email")), values.Get("password")
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&c); err != nil {
			return credentials{}, errors.New(`the body must be a JSON object {"email":"...","password":"..."}`)
		}
		if _, err := dec.Token(); err != io.EOF {
			return credentials{}, errors.New("the body must hold one JSON object")
		}
	}
	if c.Email == "" || c.Password == "" {
		return c, errors.New("email and password are required")
	}
	return c, nil
}

func formValues(r *http.Request, body []byte) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return nil, err
		}
		return r.MultipartForm.Value, nil
	}
	return url.ParseQuery(string(body))
}

// GET /profile: the server-rendered page.
func (s *Server) handleProfilePage(w http.ResponseWriter, r *http.Request) {
	rs, ok := s.withSession(w, r, kindPage)
	if !ok {
		return
	}
	me := s.backend.mapping.Me
	res := s.performFetch(r.Context(), rs.sess, me.Method, me.Path, nil)
	s.finish(w, r, kindPage, rs, res, func(ans *backendAnswer) {
		name, err := s.backend.mapping.ReadMe(ans.Body)
		if err != nil {
			s.log.Warn("profile answer malformed", "error", err)
			renderError(w, http.StatusBadGateway, "Bad Gateway", "the backend's answer could not be read")
			return
		}
		renderPage(w, http.StatusOK, "profile", pageData{Title: "Profile", FirstName: name, FirstNamePath: s.backend.meFirstNameKeys()})
	})
}

// GET /api/me: the body of the backend's me route.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	rs, ok := s.withSession(w, r, kindAPI)
	if !ok {
		return
	}
	me := s.backend.mapping.Me
	res := s.performFetch(r.Context(), rs.sess, me.Method, me.Path, nil)
	s.finish(w, r, kindAPI, rs, res, func(ans *backendAnswer) {
		writeRawJSON(w, ans.Status, ans.Body)
	})
}

// PATCH /api/profile: forwards the JSON body to the backend's profile route.
func (s *Server) handleUpdateProfile(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.bodyError(w, err)
		return
	}
	rs, ok := s.withSession(w, r, kindAPI)
	if !ok {
		return
	}
	profile := s.backend.mapping.Profile
	res := s.performFetch(r.Context(), rs.sess, profile.Method, profile.Path, body)
	s.finish(w, r, kindAPI, rs, res, func(ans *backendAnswer) {
		writeRawJSON(w, ans.Status, ans.Body)
	})
}

// POST /logout: the cookie is cleared whatever the backend says.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	rs := s.openSession(r)
	if rs.sess != nil && rs.sess.Refresh != "" {
		// The client going away must not keep the family alive.
		ctx := context.WithoutCancel(r.Context())
		ans, err := s.backend.logout(ctx, rs.sess.Refresh)
		switch {
		case err != nil:
			s.log.Warn("backend logout failed; session cleared anyway", "token", fingerprint(rs.sess.Refresh), "error", err)
		case ans.Status/100 != 2:
			s.log.Warn("backend logout refused; session cleared anyway", "token", fingerprint(rs.sess.Refresh), "status", ans.Status)
		default:
			s.log.Info("logout", "token", fingerprint(rs.sess.Refresh))
		}
	}
	http.SetCookie(w, s.store.clearCookie())
	if isForm(r) {
		redirect(w, r, "/login")
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// GET /: the profile is the home page.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	redirect(w, r, "/profile")
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
}
