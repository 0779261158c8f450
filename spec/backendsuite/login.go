package backendsuite

import (
	"net/http"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// B1: login through the mapping's login endpoint: the documented envelope
// with two different tokens (B1.1), and bad credentials refused (B1.2).

// B1.1
func (c *client) checkLoginEnvelope() {
	m := c.mapping()
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(a.Status).To(Equal(http.StatusOK), "login with valid credentials: want 200; %s", a)
	Expect(a.isJSON()).To(BeTrue(), "login: want a JSON body with Content-Type application/json; %s", a)
	var problems problemList
	if !m.PasswordGrant() && dialect.Has(m.SuccessFlag) {
		if v, ok := a.lookup(m.SuccessFlag); !ok || v != true {
			problems.add("want %s:true in the login answer; %s", m.SuccessFlag, a)
		}
	}
	t, err := c.loginTokens(a)
	if err != nil {
		problems.add("%v", err)
	} else if t.Access == t.Refresh {
		problems.add("the access token and the refresh token are the same string %s", control.Fingerprint(t.Access))
	}
	// What the mapping places must be there: in the json dialect every path
	// it has (contract.md §1 documents token_type, expires_in and the user);
	// in the oauth2 dialect token_type (RFC 6749 §5.1 requires it), with
	// expires_in and a user checked when present.
	json := !m.IsOAuth2()
	if p := m.Paths.TokenType; dialect.Has(p) {
		if v, ok := a.lookup(p); ok || json || m.PasswordGrant() {
			if s, _ := v.(string); !strings.EqualFold(s, "Bearer") {
				problems.add("want token_type \"Bearer\" at %q, got %v", p, v)
			}
		}
	}
	if p := m.Paths.ExpiresIn; dialect.Has(p) {
		if v, ok := a.lookup(p); ok || json {
			if n, isNum := v.(float64); !isNum || n <= 0 {
				problems.add("want expires_in a positive number of seconds at %q, got %v", p, v)
			}
		}
	}
	if p := m.Paths.FirstName; dialect.Has(p) {
		if v, ok := a.lookup(p); ok || json {
			if s, _ := v.(string); s == "" {
				problems.add("want the user's first name (a non-empty string) at %q, got %v", p, v)
			}
		}
	}
	problems.expectNone("the login answer is not the documented envelope")
}

// B1.2
func (c *client) checkBadCredentials() {
	cred := c.prof.Credentials
	cases := []struct{ what, email, password string }{
		{"login with a wrong password", cred.Email, cred.Password + "-not-the-password"},
		{"login as an unknown user", randomToken("nobody-") + "@example.invalid", cred.Password},
	}
	var problems problemList
	for _, tc := range cases {
		a := c.mustAnswer(c.login(tc.email, tc.password, tc.what))
		switch {
		case c.mapping().PasswordGrant():
			// RFC 6749 §5.2: invalid resource owner credentials are an
			// invalid_grant, which servers answer with 400 (some 401).
			if !rejected(a) {
				problems.add("%s: want 400 or 401 (RFC 6749 §5.2); %s", tc.what, a)
			} else if p := c.failureProblem(a, "invalid_grant"); p != "" {
				problems.add("%s: %s", tc.what, p)
			}
		case a.Status != http.StatusUnauthorized:
			problems.add("%s: want 401; %s", tc.what, a)
		default:
			if p := c.failureProblem(a, ""); p != "" {
				problems.add("%s: %s", tc.what, p)
			}
		}
		if _, leaked := a.str(c.mapping().Paths.AccessToken); leaked {
			problems.add("%s: the answer carries an access token", tc.what)
		}
	}
	problems.expectNone("bad credentials must be refused")
}
