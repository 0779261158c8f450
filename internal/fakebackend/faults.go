package fakebackend

import (
	"net/http"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// faultHTML is the html fault body (see doc.go for the whole table); the
// others are shaped by the mapping.
const faultHTML = "<html><body><h1>Bad Gateway</h1></body></html>"

// serveFault answers c the way fault f says. It reports whether the request
// should go on to its handler: only a delay the client waited out does.
// Apart from a delay, a faulted request never touches the store, so the
// refresh token it carries is not consumed.
func (s *Server) serveFault(c *call, f *control.Fault) bool {
	c.e.Fault = f.Kind
	switch f.Kind {
	case control.FaultDelay:
		timer := time.NewTimer(f.Delay.Std())
		defer timer.Stop()
		s.held.Add(1)
		defer s.held.Add(-1)
		select {
		case <-timer.C:
			return true
		case <-s.done: // shutting down: answer now rather than hold Shutdown up
			return true
		case <-c.r.Context().Done():
			// The client gave up (its own timeout): journal what it
			// presented, so that a spec can tell whose request it was.
			s.notePresented(c)
			c.e.Outcome = control.OutcomeFault
			return false
		}
	case control.FaultDrop:
		s.notePresented(c)
		c.e.Outcome = control.OutcomeFault
		if hj, ok := c.w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				// Journal first: the client sees the closed connection at
				// once, and a spec that then reads the journal must find
				// this request in it, in order.
				s.finish(c)
				_ = conn.Close()
				return false
			}
		}
		// HTTP/2 and recorders cannot hijack: aborting the handler is
		// net/http's way to drop the answer there.
		panic(http.ErrAbortHandler)
	default:
		s.notePresented(c)
		writeFault(c, f)
		return false
	}
}

// notePresented journals the token a faulted request carries without
// changing anything in the store.
func (s *Server) notePresented(c *call) {
	var value string
	kind := control.Refresh
	switch c.e.Route {
	case control.RouteRefresh, control.RouteLogout:
		if value = presentedToken(c); value == "" {
			return
		}
	case control.RouteMe, control.RouteProfile:
		scheme, v, _ := strings.Cut(c.r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(v) == "" {
			return
		}
		value, kind = strings.TrimSpace(v), control.Access
	default:
		return
	}
	s.mu.Lock()
	c.present(value, s.st.tokens[value], kind)
	s.mu.Unlock()
}

// presentedToken is the refresh token a refresh or logout body carries, ""
// if it carries none.
func presentedToken(c *call) string {
	if c.wire.oauth2 {
		return presentedInForm(c)
	}
	r := c.wire.refreshBody
	if c.e.Route == control.RouteLogout {
		r = c.wire.logoutBody
	}
	fields, err := r.read(c)
	if err != nil || fields[0] == nil {
		return ""
	}
	return *fields[0]
}

// faultStatus is the status of a FaultStatus answer: Fault.Status, or when
// it is 0, 200 for the bodies that imitate a broken success and 500 otherwise.
func faultStatus(f *control.Fault) int {
	if f.Status != 0 {
		return f.Status
	}
	if f.Body == control.BodyTruncated || isBrokenSuccess(f.Body) {
		return http.StatusOK
	}
	return http.StatusInternalServerError
}

// faultCode is the error code of a JSON fault body: what the real route
// would say for that status in the dialect.
func faultCode(oauth2 bool, route control.Route, status int) string {
	unauthorized, bad := status == http.StatusUnauthorized, status == http.StatusBadRequest
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case route == control.RouteRefresh && (unauthorized || bad):
		return "invalid_grant"
	case (route == control.RouteMe || route == control.RouteProfile) && unauthorized:
		return "invalid_token"
	case oauth2 && (route == control.RouteLogin || route == control.RouteLogout) && unauthorized:
		return "invalid_client"
	case oauth2 && route == control.RouteLogin && bad:
		return "invalid_grant"
	case route == control.RouteLogin && unauthorized:
		return "invalid_credentials"
	}
	return "server_error"
}

func writeFault(c *call, f *control.Fault) {
	status := faultStatus(f)
	c.e.Status = status
	c.e.Outcome = control.OutcomeFault
	h := c.w.Header()
	if isBrokenSuccess(f.Body) {
		sh, v := c.brokenTokens(f.Body)
		c.reply(status, control.OutcomeFault, sh, &v)
		return
	}
	switch f.Body {
	case control.BodyHTML:
		h.Set("Content-Type", "text/html; charset=utf-8")
		c.w.WriteHeader(status)
		_, _ = c.w.Write([]byte(faultHTML))
	case control.BodyTruncated:
		h.Set("Content-Type", "application/json")
		c.w.WriteHeader(status)
		_, _ = c.w.Write(c.wire.truncated)
	default:
		if status == http.StatusOK {
			var v slots
			v[slotSuccess] = boolValue(true)
			v[slotData] = value{kind: kindEmptyObject}
			c.reply(status, control.OutcomeFault, &c.wire.emptySuccess, &v)
			return
		}
		code := faultCode(c.wire.oauth2, c.e.Route, status)
		switch code {
		case "rate_limited":
			h.Set("Retry-After", retryAfterFaultSeconds)
		case "invalid_token":
			h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		case "invalid_client":
			if c.wire.m.ClientAuth == dialect.ClientAuthBasic {
				h.Set("WWW-Authenticate", `Basic realm="refreshspec"`)
			}
		}
		c.fail(status, control.OutcomeFault, code, "injected fault")
	}
}

// isBrokenSuccess reports whether body is one of the token answers broken
// in one field (brokenTokens).
func isBrokenSuccess(body control.FaultBody) bool {
	switch body {
	case control.BodyMissingField, control.BodyMissingRefresh, control.BodyEmptyTokens, control.BodyWrongTypes, control.BodyNotSuccess:
		return true
	}
	return false
}

// brokenTokens is a token answer of the mapping broken the way body says,
// as a backend or something in front of it may break one: a token left out
// or empty, a token of the wrong JSON type, or a success flag that says no.
// The tokens in it are fresh random values the store does not know, so a
// proxy that saves them has lost the session. A mapping without a success
// flag cannot say no in a token answer; its success-false is its failure
// body sent with the 200.
func (c *call) brokenTokens(body control.FaultBody) (*shape, slots) {
	var v slots
	v[slotSuccess] = boolValue(true)
	v[slotAccess] = textValue(newTokenValue())
	v[slotRefresh] = textValue(newTokenValue())
	v[slotTokenType] = textValue("Bearer")
	v[slotExpiresIn] = numberValue(int(c.set.AccessTTL.Std() / time.Second))
	switch body {
	case control.BodyMissingField:
		v[slotAccess] = value{}
	case control.BodyMissingRefresh:
		v[slotRefresh] = value{}
	case control.BodyEmptyTokens:
		v[slotAccess], v[slotRefresh] = textValue(""), textValue("")
	case control.BodyWrongTypes:
		v[slotAccess], v[slotRefresh] = numberValue(wrongTypeNumber), value{kind: kindEmptyObject}
	case control.BodyNotSuccess:
		if !dialect.Has(c.wire.m.SuccessFlag) {
			var f slots
			f[slotMessage] = textValue("injected fault")
			f[slotCode] = textValue("server_error")
			return &c.wire.failure, f
		}
		v[slotSuccess] = boolValue(false)
	}
	return &c.wire.tokens, v
}

// wrongTypeNumber is the access token of the wrong-types body: a number
// where a string belongs.
const wrongTypeNumber = 4242424242
