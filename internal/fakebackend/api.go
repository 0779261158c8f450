package fakebackend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// call is one API request on its way through: what its handler needs, and
// the journal entry that will say what happened to it.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	wire *wire
	body []byte
	addr string   // client address without the port: the rate limit's key
	set  settings // settings when the handler started
	e    control.Entry
	// form and formErr are the body parsed as a form, once (formBody).
	form    url.Values
	formErr error
	// journaled is set once finish has recorded e, so that a fault that
	// must journal before it answers (a drop) is not recorded twice.
	journaled bool
}

func (c *call) has(b Break) bool {
	for _, x := range c.set.Breaks {
		if x == b {
			return true
		}
	}
	return false
}

// route wraps a handler of one route with what every API request goes
// through: the body limit, the fault queue, and the journal.
func (s *Server) route(role control.Route, handle func(*Server, *call)) http.Handler {
	return s.serve(func(*call) control.Route { return role }, handle)
}

// serve is route for a path whose role the body decides (the oauth2 token
// endpoint's grant_type): roleOf sees the body before the fault queue is
// consulted, so faults are queued per role whatever the dialect.
func (s *Server) serve(roleOf func(*call) control.Route, handle func(*Server, *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, wire: s.wire, addr: clientAddr(r)}
		s.mu.Lock()
		c.e = control.Entry{Time: s.now(), Method: r.Method, Path: r.URL.Path, Remote: r.RemoteAddr}
		s.mu.Unlock()
		c.e.Headers = journaledHeaders(r)
		defer s.finish(c)

		var body []byte
		var err error
		if r.Body != nil { // nil only when a client's request is served directly
			body, err = io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		}
		c.body = body
		c.e.Route = roleOf(c)
		route := c.e.Route
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
		"fault", string(c.e.Fault), "token", control.Fingerprint(c.e.Token), "family", c.e.Family,
		"generation", c.e.Generation, "remote", c.e.Remote)
}

// journaledHeaders are the request's headers the journal keeps
// (control.Entry.Headers): what says how the body is to be read, what the
// client accepts, and whom it speaks for, the credentials as their scheme
// and a fingerprint only, so that no token reaches the journal through them.
func journaledHeaders(r *http.Request) map[string]string {
	h := make(map[string]string, 5)
	for _, name := range []string{"Content-Type", "Content-Length", "Accept"} {
		if v := r.Header.Values(name); len(v) > 0 {
			h[name] = strings.Join(v, ", ")
		}
	}
	// net/http moves Transfer-Encoding out of the header map.
	if len(r.TransferEncoding) > 0 {
		h["Transfer-Encoding"] = strings.Join(r.TransferEncoding, ", ")
	}
	if v := r.Header.Get("Authorization"); v != "" {
		h["Authorization"] = credentialsFingerprint(v)
	}
	return h
}

// credentialsFingerprint is an Authorization header as the journal keeps
// it: "Bearer 1a2b3c4d", the scheme and the credentials' fingerprint. A
// single word is kept when it is a scheme ("Bearer" alone), and is
// otherwise a bare fingerprint, since it may be a token sent on its own.
func credentialsFingerprint(v string) string {
	scheme, cred, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found {
		for _, known := range []string{"Bearer", "Basic", "DPoP", "Digest", "Token"} {
			if strings.EqualFold(scheme, known) {
				return scheme
			}
		}
		return control.Fingerprint(scheme)
	}
	if cred = strings.TrimSpace(cred); cred == "" {
		return scheme
	}
	return scheme + " " + control.Fingerprint(cred)
}

// reply answers status with the answer of shape sh holding v, and notes the
// outcome for the journal.
func (c *call) reply(status int, outcome control.Outcome, sh *shape, v *slots) {
	c.e.Status = status
	c.e.Outcome = outcome
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(sh.render(make([]byte, 0, 256), v[:]))
}

// fail answers the mapping's error body: the json dialect's envelope, or
// RFC 6749 §5.2's {"error","error_description"}.
func (c *call) fail(status int, outcome control.Outcome, code, message string) {
	var v slots
	v[slotSuccess] = boolValue(false)
	v[slotMessage] = textValue(message)
	v[slotCode] = textValue(code)
	c.reply(status, outcome, &c.wire.failure, &v)
}

// invalidGrant rejects a refresh token: 401 in the json dialect
// (contract.md §1), 400 in the oauth2 dialect (RFC 6749 §5.2).
func (c *call) invalidGrant(outcome control.Outcome, message string) {
	status := http.StatusUnauthorized
	if c.wire.oauth2 {
		status = http.StatusBadRequest
	}
	c.fail(status, outcome, "invalid_grant", message)
}

// invalidCredentials rejects a login: 401 invalid_credentials in the json
// dialect, 400 invalid_grant for the oauth2 password grant.
func (c *call) invalidCredentials() {
	if c.wire.oauth2 {
		c.fail(http.StatusBadRequest, control.OutcomeInvalidCredentials, "invalid_grant", "wrong username or password")
		return
	}
	c.fail(http.StatusUnauthorized, control.OutcomeInvalidCredentials, "invalid_credentials", "wrong email or password")
}

// badRequest is the 400 of a malformed body, unless the backend is broken
// into answering 500 (BreakMalformedJSON500).
func (c *call) badRequest(message string) {
	if c.has(BreakMalformedJSON500) {
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

type userView struct {
	ID, Email, FirstName, LastName string
}

func viewOf(u *User) *userView {
	return &userView{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
}

// tokens answers a login or refresh with the pair access, refresh (refresh
// is nil when none was issued), the user for a login whose answer carries
// one, and the granted scope in the oauth2 dialect. It reads only the
// fields of a token that never change, so it runs without s.mu.
func (c *call) tokens(outcome control.Outcome, access, refresh *token, user *userView, scope string) {
	if !c.has(BreakNoCacheControl) {
		c.w.Header().Set("Cache-Control", "no-store")
		c.w.Header().Set("Pragma", "no-cache")
	}
	var v slots
	v[slotSuccess] = boolValue(true)
	v[slotAccess] = textValue(access.value)
	if refresh != nil {
		v[slotRefresh] = textValue(refresh.value)
	}
	v[slotTokenType] = textValue("Bearer")
	v[slotExpiresIn] = numberValue(int(access.ttl / time.Second))
	if scope != "" {
		v[slotScope] = textValue(scope)
	}
	v.user(user)
	sh := &c.wire.tokens
	if c.has(BreakWrongEnvelope) {
		sh = &c.wire.wrongTokens
	}
	c.reply(http.StatusOK, outcome, sh, &v)
}

// replyUser answers the user, as me and profile do.
func (c *call) replyUser(u *userView) {
	var v slots
	v[slotSuccess] = boolValue(true)
	v.user(u)
	c.reply(http.StatusOK, control.OutcomeOK, &c.wire.user, &v)
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

// login is the json dialect's login: the body's email and password.
func login(s *Server, c *call) {
	w := c.wire
	fields, err := w.loginBody.read(c)
	if err != nil {
		c.badRequest(err.Error())
		return
	}
	if fields[0] == nil || fields[1] == nil {
		c.badRequest(fmt.Sprintf("%s and %s are required strings", w.m.LoginFields.Email, w.m.LoginFields.Password))
		return
	}
	s.logIn(c, *fields[0], *fields[1], "")
}

// logIn starts a family for the user with these credentials. scope is the
// scope an oauth2 password grant asked for, which the answer echoes; when
// the mapping names a scope that the request did not ask for, no refresh
// token is issued, as Keycloak, Auth0, Okta and Hydra do without
// offline_access.
func (s *Server) logIn(c *call, email, password, scope string) {
	s.mu.Lock()
	st := s.st
	now := s.now()
	u := st.userByEmail(email)
	if u == nil || u.Password != password {
		if !c.has(BreakBadCredentials200) || len(st.users) == 0 {
			s.mu.Unlock()
			c.invalidCredentials()
			return
		}
		if u == nil {
			u = st.users[0]
		}
	}
	f := st.newFamily(u.ID)
	f.scope = scope
	access := st.issue(f, control.Access, 0, now)
	c.e.Issued = []control.Token{access.wire(now)}
	var refresh *token
	if grantsRefresh(c.wire.m.Scope, scope) {
		refresh = st.issue(f, control.Refresh, 0, now)
		c.e.Issued = append(c.e.Issued, refresh.wire(now))
	}
	var view *userView
	if dialect.Has(c.wire.m.Paths.FirstName) {
		view = viewOf(u)
	}
	s.mu.Unlock()
	c.tokens(control.OutcomeOK, access, refresh, view, scope)
}

// grantsRefresh reports whether a login that asked for scope gets a refresh
// token from a backend that issues one only for every token of required.
func grantsRefresh(required, scope string) bool {
	asked := strings.Fields(scope)
	for _, want := range strings.Fields(required) {
		if !slices.Contains(asked, want) {
			return false
		}
	}
	return true
}

// refresh rotates: a new pair for the refresh token presented, which stops
// working. A token presented again is reuse and revokes its whole family,
// except the immediately previous one inside the grace window, which gets
// the same successor back.
func refresh(s *Server, c *call) {
	fields, err := c.wire.refreshBody.read(c)
	if err == nil && (fields[0] == nil || *fields[0] == "") {
		err = fmt.Errorf("%s is required and must be a non-empty string", c.wire.m.Fields.RefreshToken)
	}
	if err != nil {
		s.countInvalidRefresh(c)
		c.badRequest(err.Error())
		return
	}
	s.rotateFor(c, *fields[0])
}

// countInvalidRefresh counts a refresh attempt that never got as far as a
// token against the client's address: every attempt counts there.
func (s *Server) countInvalidRefresh(c *call) {
	if !c.set.RateLimit.Enabled || c.has(BreakNoRateLimit) {
		return
	}
	s.mu.Lock()
	allow(s.st.perAddress, c.addr, c.set.RateLimit.PerAddress, c.set.RateLimit.Window.Std(), s.now())
	s.mu.Unlock()
}

// rotateFor answers the refresh token value presented, in any dialect.
func (s *Server) rotateFor(c *call, value string) {
	limited := c.set.RateLimit.Enabled && !c.has(BreakNoRateLimit)
	window := c.set.RateLimit.Window.Std()
	s.mu.Lock()
	st := s.st
	now := s.now()
	t := st.tokens[value]
	c.present(value, t, control.Refresh)
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
	case t == nil && c.has(BreakUnknownTokenIs500):
		s.mu.Unlock()
		c.fail(http.StatusInternalServerError, control.OutcomeInvalidGrant, "server_error", "internal error")
	case t == nil || t.kind != control.Refresh || t.fam.revoked || t.expired(now):
		s.mu.Unlock()
		c.invalidGrant(control.OutcomeInvalidGrant, "the refresh token is unknown, expired or revoked")
	case t.used:
		f := t.fam
		rules := c.set.Rotation
		if s.forgiven(rules, t, now) {
			t.reuses++
			access, refresh := t.nextAccess, t.next
			if rules.GraceAnswer == dialect.GraceNew {
				access, refresh = mint(st, c, t, now)
			} else if access == nil || refresh == nil {
				access, refresh = f.access, f.refresh
			}
			s.mu.Unlock()
			c.tokens(control.OutcomeGrace, access, refresh, nil, f.scope)
			return
		}
		if rules.RevokeFamily && !c.has(BreakNoFamilyRevocation) {
			if rules.RevokeAccess {
				st.revoke(f, now)
			} else {
				st.revokeRefresh(f, now)
			}
		}
		s.mu.Unlock()
		if rules.RevokeFamily {
			c.invalidGrant(control.OutcomeReuse, "the refresh token was already used; the session is revoked")
		} else {
			c.invalidGrant(control.OutcomeReuse, "the refresh token was already used")
		}
	default:
		access, refresh := rotate(st, c, t, now)
		scope := t.fam.scope
		s.mu.Unlock()
		c.tokens(control.OutcomeOK, access, refresh, nil, scope)
	}
}

// rotate issues the successor pair of refresh token t, as the breaks allow.
// The caller holds s.mu.
func rotate(st *state, c *call, t *token, now time.Time) (access, refresh *token) {
	f := t.fam
	f.generation++
	if c.has(BreakRefreshSameAccess) && f.access != nil {
		access = f.access
	} else {
		access = st.issue(f, control.Access, f.generation, now)
		c.e.Issued = append(c.e.Issued, access.wire(now))
	}
	refresh = t
	if !c.has(BreakNoRotation) {
		if !c.has(BreakNoInvalidation) {
			t.used = true
		}
		refresh = st.issue(f, control.Refresh, f.generation, now)
		c.e.Issued = append(c.e.Issued, refresh.wire(now))
		f.prevRefresh = t
		f.rotatedAt = now
		if t.usedAt.IsZero() {
			t.usedAt = now
		}
		t.next, t.nextAccess = refresh, access
	}
	return access, refresh
}

// forgiven reports whether the used refresh token t, presented again, is
// inside the grace of rules: young enough, the previous one when only that
// one is forgiven, and not reused more than the count allows. The caller
// holds s.mu.
func (s *Server) forgiven(rules dialect.RotationRules, t *token, now time.Time) bool {
	if rules.GracePeriod == 0 || !rules.GracePeriod.Covers(now.Sub(t.usedAt)) {
		return false
	}
	if rules.PreviousOnly && t.fam.prevRefresh != t {
		return false
	}
	return rules.ReuseCount == 0 || t.reuses < rules.ReuseCount
}

// mint issues a new pair for a reuse of t inside the grace, as Ory Hydra
// and Auth0 do: the family's next generation, t staying used. The caller
// holds s.mu.
func mint(st *state, c *call, t *token, now time.Time) (access, refresh *token) {
	f := t.fam
	f.generation++
	access = st.issue(f, control.Access, f.generation, now)
	refresh = st.issue(f, control.Refresh, f.generation, now)
	c.e.Issued = append(c.e.Issued, access.wire(now), refresh.wire(now))
	return access, refresh
}

// logout revokes the family of the refresh token presented when it is the
// family's current one (revokeForLogout); any other token is answered 200
// too, so that logging out twice is harmless.
func logout(s *Server, c *call) {
	fields, err := c.wire.logoutBody.read(c)
	if err != nil {
		c.badRequest(err.Error())
		return
	}
	if fields[0] == nil {
		c.badRequest(c.wire.m.Fields.RefreshToken + " is required and must be a string")
		return
	}
	s.mu.Lock()
	t := s.st.tokens[*fields[0]]
	c.present(*fields[0], t, control.Refresh)
	outcome := s.revokeForLogout(c, t)
	s.mu.Unlock()
	var v slots
	v[slotSuccess] = boolValue(true)
	v[slotMessage] = textValue("logged out")
	c.reply(http.StatusOK, outcome, &c.wire.failure, &v)
}

// revokeForLogout revokes t's family when t is its current refresh token,
// as real backends do (RFC 7009 in the oauth2 dialect): any other token (an
// access token, a refresh token already rotated away, an unknown one, one
// of a family revoked already) revokes nothing, and the logout is answered
// 200 all the same, journaled control.OutcomeNotRevoked. A client that logs
// out with the wrong token learns nothing from the answer, and the session
// it meant to end goes on. The caller holds s.mu.
func (s *Server) revokeForLogout(c *call, t *token) control.Outcome {
	if t == nil || t.kind != control.Refresh || t != t.fam.refresh || t.used || t.revoked() {
		return control.OutcomeNotRevoked
	}
	if !c.has(BreakLogoutKeepsFamily) {
		s.st.revoke(t.fam, s.now())
	}
	return control.OutcomeOK
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
	if t != nil && t.kind == control.Access && !t.revoked() && !t.expired(s.now()) {
		u = s.st.userByID(t.fam.userID)
	}
	s.mu.Unlock()
	if u == nil {
		if !c.has(BreakNoWWWAuthenticate) {
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
	c.replyUser(view)
}

// profile changes the user's firstName (or the field the mapping's me
// answer names it by) and lastName; other fields are ignored, as a backend
// ignores what it does not let a user change.
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
	for _, name := range []string{"firstName", c.wire.firstNameKey, "lastName"} {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		var v string
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || json.Unmarshal(raw, &v) != nil {
			c.badRequest(name + " must be a string")
			return
		}
		if name == c.wire.firstNameKey {
			name = "firstName"
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
	c.replyUser(view)
}

func notFound(_ *Server, c *call) {
	c.fail(http.StatusNotFound, control.OutcomeNotFound, "not_found", "no route "+c.r.Method+" "+c.r.URL.Path)
}

func methodNotAllowed(_ *Server, c *call) {
	if allow := c.wire.allow[c.r.URL.Path]; allow != "" {
		c.w.Header().Set("Allow", allow)
	}
	c.fail(http.StatusMethodNotAllowed, control.OutcomeMethodNotAllowed, "method_not_allowed", c.r.Method+" is not allowed on "+c.r.URL.Path)
}
