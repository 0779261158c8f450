package fakebackend

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// The oauth2 dialect: one token endpoint for the password and refresh_token
// grants (RFC 6749 §4.3 and §6) and an RFC 7009 revocation endpoint, both
// taking forms and authenticating the client as the mapping says.

// tokenRole is the journal's role of a token endpoint call: a password grant
// is a login; anything else (a refresh_token grant, a missing or unknown
// grant, a body that is no form) is a refresh attempt, which is what the
// refresh rate limit counts and what a refresh fault answers.
func tokenRole(c *call) control.Route {
	if len(c.body) > maxRequestBody {
		return control.RouteRefresh // refused as too large, unparsed
	}
	form, err := c.formBody()
	if err == nil && form.Get("grant_type") == "password" {
		return control.RouteLogin
	}
	return control.RouteRefresh
}

func tokenEndpoint(s *Server, c *call) {
	refreshing := c.e.Route == control.RouteRefresh
	reject := func(answer func()) {
		if refreshing {
			s.countInvalidRefresh(c)
		}
		answer()
	}
	form, err := c.formBody()
	if err != nil {
		reject(func() { c.badRequest(err.Error()) })
		return
	}
	if !c.clientAuthenticated(form) {
		reject(c.invalidClient)
		return
	}
	m := &c.wire.m
	switch grant := form.Get("grant_type"); grant {
	case "password":
		user, password := form.Get(m.LoginFields.Email), form.Get(m.LoginFields.Password)
		if user == "" || password == "" {
			c.badRequest(m.LoginFields.Email + " and " + m.LoginFields.Password + " are required")
			return
		}
		s.logIn(c, user, password, form.Get("scope"))
	case "refresh_token":
		token := form.Get(m.Fields.RefreshToken)
		if token == "" {
			reject(func() { c.badRequest(m.Fields.RefreshToken + " is required") })
			return
		}
		s.rotateFor(c, token)
	case "":
		reject(func() { c.badRequest("grant_type is required") })
	default:
		reject(func() {
			c.fail(http.StatusBadRequest, control.OutcomeUnsupportedGrantType, "unsupported_grant_type", "grant_type "+grant+" is not supported here")
		})
	}
}

// revoke is RFC 7009: 200 for any token, valid or not, so that a client
// learns nothing from it; the family is revoked only when the token is its
// current refresh token.
func revoke(s *Server, c *call) {
	form, err := c.formBody()
	if err != nil {
		c.badRequest(err.Error())
		return
	}
	if !c.clientAuthenticated(form) {
		c.invalidClient()
		return
	}
	value := form.Get("token")
	if value == "" {
		c.badRequest("token is required")
		return
	}
	s.mu.Lock()
	t := s.st.tokens[value]
	c.present(value, t, control.Refresh)
	outcome := s.revokeForLogout(c, t)
	s.mu.Unlock()
	// The client ignores the body (RFC 7009 §2.2); {} keeps every answer JSON.
	c.reply(http.StatusOK, outcome, &emptyAnswer, &slots{})
}

// emptyAnswer is {}.
var emptyAnswer shape

// clientAuthenticated checks the client's credentials the one way the
// mapping says (RFC 6749 §2.3.1): HTTP Basic, or client_id and
// client_secret in the form. A mapping without a client_id asks for none; a
// public client (no secret) sends its client_id in the form. Credentials
// sent both ways at once are refused, as §2.3 forbids.
func (c *call) clientAuthenticated(form url.Values) bool {
	m := &c.wire.m
	if m.ClientID == "" {
		return true
	}
	id, secret, basic := c.r.BasicAuth()
	if basic {
		// §2.3.1: both were form-encoded before Basic encoded them.
		id, secret = formDecoded(id), formDecoded(secret)
	}
	_, inForm := form["client_secret"]
	switch {
	case m.ClientSecret == "":
		return form.Get("client_id") == m.ClientID || (basic && id == m.ClientID && secret == "")
	case basic && inForm:
		return false
	case m.ClientAuth == dialect.ClientAuthBasic:
		return basic && same(id, m.ClientID) && same(secret, m.ClientSecret)
	default:
		return !basic && same(form.Get("client_id"), m.ClientID) && same(form.Get("client_secret"), m.ClientSecret)
	}
}

// invalidClient is RFC 6749 §5.2's 401, with the Basic challenge the
// configured method calls for.
func (c *call) invalidClient() {
	if c.wire.m.ClientAuth == dialect.ClientAuthBasic {
		c.w.Header().Set("WWW-Authenticate", `Basic realm="refreshspec"`)
	}
	c.fail(http.StatusUnauthorized, control.OutcomeInvalidClient, "invalid_client",
		"client authentication failed (client_auth "+string(c.wire.m.ClientAuth)+")")
}

func formDecoded(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// presentedInForm is the token a token-endpoint or revocation request
// carries, for a faulted request's journal entry.
func presentedInForm(c *call) string {
	form, err := c.formBody()
	if err != nil {
		return ""
	}
	if c.e.Route == control.RouteLogout {
		return form.Get("token")
	}
	if form.Get("grant_type") != "refresh_token" {
		return ""
	}
	return strings.TrimSpace(form.Get(c.wire.m.Fields.RefreshToken))
}
