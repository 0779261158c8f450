package fakebackend

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// call is one API request on its way through: what its handler needs, and
// the journal entry that will say what happened to it.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	addr string           // client address without the port: the rate limit's key
	set  control.Settings // settings when the handler started
	e    control.Entry
	// journaled is set once finish has recorded e, so that a fault that
	// must journal before it answers (a drop) is not recorded twice.
	journaled bool
}

func (c *call) has(b control.Break) bool {
	for _, x := range c.set.Breaks {
		if x == b {
			return true
		}
	}
	return false
}

// route wraps a handler of one route with what every API request goes
// through: the body limit, the fault queue, and the journal.
func (s *Server) route(route control.Route, handle func(*Server, *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, addr: clientAddr(r)}
		s.mu.Lock()
		c.e = control.Entry{Time: s.now(), Route: route, Method: r.Method, Path: r.URL.Path, Remote: r.RemoteAddr}
		s.mu.Unlock()
		defer s.finish(c)

		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		c.body = body
		if len(body) > maxRequestBody {
			c.fail(http.StatusRequestEntityTooLarge, control.OutcomeTooLarge, "too_large", "the body is over 1 MiB")
			return
		}
		if err != nil {
			c.fail(http.StatusBadRequest, control.OutcomeInvalidRequest, "invalid_request", "reading the body failed")
			return
		}
		s.mu.Lock()
		c.set = s.st.settings
		var f *control.Fault
		if route != control.RouteOther {
			f = s.st.takeFault(route)
		}
		s.mu.Unlock()
		if f != nil {
			if !s.serveFault(c, f) {
				return
			}
			s.mu.Lock() // a delay may have outlived a settings change
			c.set = s.st.settings
			s.mu.Unlock()
		}
		handle(s, c)
	})
}

// finish journals the request and, for a refresh, logs the one line that
// contract.md §1 asks for, with a fingerprint instead of the token.
func (s *Server) finish(c *call) {
	if c.journaled {
		return
	}
	c.journaled = true
	if len(c.body) > journalBodyLimit {
		c.e.Body = string(c.body[:journalBodyLimit])
	} else {
		c.e.Body = string(c.body)
	}
	s.mu.Lock()
	seq := s.st.record(c.e, s.journalCap, s.journalBodyCap)
	s.mu.Unlock()
	level, msg := slog.LevelDebug, "request"
	if c.e.Route == control.RouteRefresh {
		level, msg = slog.LevelInfo, "refresh attempt"
	}
	// Building the line (and the fingerprint's hash) costs more than the
	// rest of a /api/user/me answer: skip it when nobody reads it.
	if !s.log.Enabled(c.r.Context(), level) {
		return
	}
	s.log.Log(c.r.Context(), level, msg,
		"seq", seq, "route", string(c.e.Route), "status", c.e.Status, "outcome", string(c.e.Outcome),
		"fault", string(c.e.Fault), "token", fingerprint(c.e.Token), "family", c.e.Family,
		"generation", c.e.Generation, "remote", c.e.Remote)
}

// reply answers status with v and notes the outcome for the journal.
func (c *call) reply(status int, outcome control.Outcome, v any) {
	c.e.Status = status
	c.e.Outcome = outcome
	writeJSON(c.w, status, v)
}

func (c *call) fail(status int, outcome control.Outcome, code, message string) {
	c.reply(status, outcome, envelope{Success: false, Message: message, Error: code})
}

// badRequest is the 400 of a malformed body, unless the backend is broken
// into answering 500 (control.BreakMalformedJSON500).
func (c *call) badRequest(message string) {
	if c.has(control.BreakMalformedJSON500) {
		c.fail(http.StatusInternalServerError, control.OutcomeInvalidRequest, "server_error", "internal error")
		return
	}
	c.fail(http.StatusBadRequest, control.OutcomeInvalidRequest, "invalid_request", message)
}

func (c *call) rateLimited(wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.w.Header().Set("Retry-After", strconv.Itoa(secs))
	c.fail(http.StatusTooManyRequests, control.OutcomeRateLimited, "rate_limited", "too many refresh attempts; retry later")
}

// present notes the token a request presented, and what the store knows of it.
func (c *call) present(value string, t *token, presumed control.TokenKind) {
	c.e.Token = value
	c.e.TokenKind = presumed
	if t != nil {
		c.e.TokenKind = t.kind
		c.e.Family = t.fam.id
		c.e.Generation = t.generation
	}
}

// authorization is the token part of the login and refresh answers.
type authorization struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

type userView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

func viewOf(u *User) *userView {
	return &userView{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
}

type tokenData struct {
	Authorization authorization `json:"authorization"`
	User          *userView     `json:"user,omitempty"`
}

// flatTokenData is the envelope of control.BreakWrongEnvelope: the tokens
// straight under data.
type flatTokenData struct {
	authorization
	User *userView `json:"user,omitempty"`
}

// tokens answers a login or refresh with the pair access, refresh. It reads
// only the fields of a token that never change, so it runs without s.mu.
func (c *call) tokens(outcome control.Outcome, access, refresh *token, user *userView) {
	if !c.has(control.BreakNoCacheControl) {
		c.w.Header().Set("Cache-Control", "no-store")
		c.w.Header().Set("Pragma", "no-cache")
	}
	auth := authorization{
		AccessToken: access.value, RefreshToken: refresh.value, TokenType: "Bearer",
		ExpiresIn: int(access.ttl / time.Second),
	}
	var data any = tokenData{Authorization: auth, User: user}
	if c.has(control.BreakWrongEnvelope) {
		data = flatTokenData{authorization: auth, User: user}
	}
	c.reply(http.StatusOK, outcome, envelope{Success: true, Data: data})
}

// decodeObject decodes body, which must be exactly one JSON object, into dst.
func decodeObject(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return errors.New("the body is empty")
	}
	if trimmed[0] != '{' {
		return errors.New("the body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(dst); err != nil {
		return errors.New("the body is not valid JSON of the expected shape")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the body has data after the JSON object")
	}
	return nil
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func login(s *Server, c *call) {
	var req struct {
		Email    *string `json:"email"`
		Password *string `json:"password"`
	}
	if err := decodeObject(c.body, &req); err != nil {
		c.badRequest(err.Error())
		return
	}
	if req.Email == nil || req.Password == nil {
		c.badRequest("email and password are required strings")
		return
	}
	s.mu.Lock()
	st := s.st
	now := s.now()
	u := st.userByEmail(*req.Email)
	if u == nil || u.Password != *req.Password {
		if !c.has(control.BreakBadCredentials200) || len(st.users) == 0 {
			s.mu.Unlock()
			c.fail(http.StatusUnauthorized, control.OutcomeInvalidCredentials, "invalid_credentials", "wrong email or password")
			return
		}
		if u == nil {
			u = st.users[0]
		}
	}
	f := st.newFamily(u.ID)
	access := st.issue(f, control.Access, 0, now)
	refresh := st.issue(f, control.Refresh, 0, now)
	c.e.Issued = []control.Token{access.wire(now), refresh.wire(now)}
	view := viewOf(u)
	s.mu.Unlock()
	c.tokens(control.OutcomeOK, access, refresh, view)
}

// refresh rotates: a new pair for the refresh token presented, which stops
// working. A token presented again is reuse and revokes its whole family,
// except the immediately previous one inside the grace window, which gets
// the same successor back.
func refresh(s *Server, c *call) {
	var req struct {
		RefreshToken *string `json:"refresh_token"`
	}
	err := decodeObject(c.body, &req)
	if err == nil && (req.RefreshToken == nil || *req.RefreshToken == "") {
		err = errors.New("refresh_token is required and must be a non-empty string")
	}
	limited := c.set.RateLimit.Enabled && !c.has(control.BreakNoRateLimit)
	window := c.set.RateLimit.Window.Std()
	s.mu.Lock()
	st := s.st
	now := s.now()
	if err != nil {
		if limited { // invalid attempts count against the address too
			allow(st.perAddress, c.addr, c.set.RateLimit.PerAddress, window, now)
		}
		s.mu.Unlock()
		c.badRequest(err.Error())
		return
	}
	t := st.tokens[*req.RefreshToken]
	c.present(*req.RefreshToken, t, control.Refresh)
	if limited {
		if wait, ok := allow(st.perAddress, c.addr, c.set.RateLimit.PerAddress, window, now); !ok {
			s.mu.Unlock()
			c.rateLimited(wait)
			return
		}
		if t != nil {
			if wait, ok := allow(st.perFamily, t.fam.id, c.set.RateLimit.PerFamily, window, now); !ok {
				s.mu.Unlock()
				c.rateLimited(wait)
				return
			}
		}
	}
	switch {
	case t == nil && c.has(control.BreakUnknownTokenIs500):
		s.mu.Unlock()
		c.fail(http.StatusInternalServerError, control.OutcomeInvalidGrant, "server_error", "internal error")
	case t == nil || t.kind != control.Refresh || t.fam.revoked || t.expired(now):
		s.mu.Unlock()
		c.fail(http.StatusUnauthorized, control.OutcomeInvalidGrant, "invalid_grant", "the refresh token is unknown, expired or revoked")
	case t.used:
		f := t.fam
		if grace := c.set.GraceWindow.Std(); grace > 0 && f.prevRefresh == t && now.Sub(f.rotatedAt) < grace {
			access, refresh := f.access, f.refresh
			s.mu.Unlock()
			c.tokens(control.OutcomeGrace, access, refresh, nil)
			return
		}
		if !c.has(control.BreakNoFamilyRevocation) {
			st.revoke(f, now)
		}
		s.mu.Unlock()
		c.fail(http.StatusUnauthorized, control.OutcomeReuse, "invalid_grant", "the refresh token was already used; the session is revoked")
	default:
		access, refresh := rotate(st, c, t, now)
		s.mu.Unlock()
		c.tokens(control.OutcomeOK, access, refresh, nil)
	}
}

// rotate issues the successor pair of refresh token t, as the breaks allow.
// The caller holds s.mu.
func rotate(st *state, c *call, t *token, now time.Time) (access, refresh *token) {
	f := t.fam
	f.generation++
	if c.has(control.BreakRefreshSameAccess) && f.access != nil {
		access = f.access
	} else {
		access = st.issue(f, control.Access, f.generation, now)
		c.e.Issued = append(c.e.Issued, access.wire(now))
	}
	refresh = t
	if !c.has(control.BreakNoRotation) {
		if !c.has(control.BreakNoInvalidation) {
			t.used = true
		}
		refresh = st.issue(f, control.Refresh, f.generation, now)
		c.e.Issued = append(c.e.Issued, refresh.wire(now))
		f.prevRefresh = t
		f.rotatedAt = now
	}
	return access, refresh
}

// logout revokes the family of the token presented; an unknown token is
// fine too, so that logging out twice is harmless.
func logout(s *Server, c *call) {
	var req struct {
		RefreshToken *string `json:"refresh_token"`
	}
	if err := decodeObject(c.body, &req); err != nil {
		c.badRequest(err.Error())
		return
	}
	if req.RefreshToken == nil {
		c.badRequest("refresh_token is required and must be a string")
		return
	}
	s.mu.Lock()
	t := s.st.tokens[*req.RefreshToken]
	c.present(*req.RefreshToken, t, control.Refresh)
	if t != nil && !c.has(control.BreakLogoutKeepsFamily) {
		s.st.revoke(t.fam, s.now())
	}
	s.mu.Unlock()
	c.reply(http.StatusOK, control.OutcomeOK, envelope{Success: true, Message: "logged out"})
}

// authorize checks the Bearer token of a resource call and answers the 401
// itself when the token does not work.
func (s *Server) authorize(c *call) (*User, bool) {
	h := c.r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	if !strings.EqualFold(scheme, "Bearer") || value == "" {
		// RFC 6750 §3.1 and contract.md §1: a request that carries no Bearer
		// token (no header, "Bearer" alone, another scheme) gets the bare
		// challenge, without an error code.
		if h != "" {
			c.e.Token = h // journaled as presented, for the leak and reuse checks
		}
		c.w.Header().Set("WWW-Authenticate", "Bearer")
		c.fail(http.StatusUnauthorized, control.OutcomeMissingToken, "missing_token", "no Bearer token was sent")
		return nil, false
	}
	s.mu.Lock()
	t := s.st.tokens[value]
	c.present(value, t, control.Access)
	var u *User
	if t != nil && t.kind == control.Access && !t.fam.revoked && !t.expired(s.now()) {
		u = s.st.userByID(t.fam.userID)
	}
	s.mu.Unlock()
	if u == nil {
		if !c.has(control.BreakNoWWWAuthenticate) {
			c.w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		c.fail(http.StatusUnauthorized, control.OutcomeInvalidToken, "invalid_token", "the access token is expired, revoked or unknown")
		return nil, false
	}
	return u, true
}

func me(s *Server, c *call) {
	u, ok := s.authorize(c)
	if !ok {
		return
	}
	s.mu.Lock()
	view := viewOf(u)
	s.mu.Unlock()
	c.reply(http.StatusOK, control.OutcomeOK, envelope{Success: true, Data: view})
}

// profile changes the user's firstName and lastName; other fields are
// ignored, as a backend ignores what it does not let a user change.
func profile(s *Server, c *call) {
	u, ok := s.authorize(c)
	if !ok {
		return
	}
	var fields map[string]json.RawMessage
	if err := decodeObject(c.body, &fields); err != nil {
		c.badRequest(err.Error())
		return
	}
	changes := map[string]string{}
	for _, name := range []string{"firstName", "lastName"} {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		var v string
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || json.Unmarshal(raw, &v) != nil {
			c.badRequest(name + " must be a string")
			return
		}
		changes[name] = v
	}
	s.mu.Lock()
	if v, ok := changes["firstName"]; ok {
		u.FirstName = v
	}
	if v, ok := changes["lastName"]; ok {
		u.LastName = v
	}
	view := viewOf(u)
	s.mu.Unlock()
	c.reply(http.StatusOK, control.OutcomeOK, envelope{Success: true, Data: view})
}

func notFound(_ *Server, c *call) {
	c.fail(http.StatusNotFound, control.OutcomeNotFound, "not_found", "no route "+c.r.Method+" "+c.r.URL.Path)
}

func methodNotAllowed(_ *Server, c *call) {
	for _, r := range apiRouteList {
		if routePath(r) == c.r.URL.Path {
			c.w.Header().Set("Allow", routeMethod(r))
		}
	}
	c.fail(http.StatusMethodNotAllowed, control.OutcomeMethodNotAllowed, "method_not_allowed", c.r.Method+" is not allowed on "+c.r.URL.Path)
}
