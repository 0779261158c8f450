package backendsuite

import (
	"net/http"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// B1: login through the profile's login endpoint: the documented envelope
// with two different tokens (B1.1), and bad credentials refused (B1.2).

// B1.1
func (c *client) checkLoginEnvelope() {
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(a.Status).To(Equal(http.StatusOK), "login with valid credentials: want 200; %s", a)
	Expect(a.isJSON()).To(BeTrue(), "login: want a JSON body with Content-Type application/json; %s", a)
	var problems problemList
	if !c.passwordGrant() {
		if v, ok := a.lookup("success"); !ok || v != true {
			problems.add("want success:true in the envelope of contract.md §1; %s", a)
		}
	}
	t, err := c.loginTokens(a)
	if err != nil {
		problems.add("%v", err)
	} else if t.Access == t.Refresh {
		problems.add("the access token and the refresh token are the same string %s", control.Fingerprint(t.Access))
	}
	// The seed's JSON contract documents token_type, expires_in and the user
	// in the login answer: there they must be present. Elsewhere (OAuth2
	// servers, a JSON login in front of them) they are checked when present.
	documented := c.prof.Backend.Dialect == profile.DialectJSON
	tokenType := sibling(c.prof.Backend.Paths.AccessToken, "token_type")
	if v, ok := a.lookup(tokenType); ok || c.passwordGrant() || documented {
		if s, _ := v.(string); !strings.EqualFold(s, "Bearer") {
			problems.add("want token_type \"Bearer\" at %q, got %v", tokenType, v)
		}
	}
	if v, ok := a.lookup(c.prof.Backend.Paths.ExpiresIn); ok || documented {
		if n, isNum := v.(float64); !isNum || n <= 0 {
			problems.add("want expires_in a positive number of seconds at %q, got %v", c.prof.Backend.Paths.ExpiresIn, v)
		}
	}
	if v, ok := a.lookup(c.prof.Backend.Paths.FirstName); ok || documented {
		if s, _ := v.(string); s == "" {
			problems.add("want the user's first name (a non-empty string) at %q, got %v", c.prof.Backend.Paths.FirstName, v)
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
		case c.passwordGrant():
			// RFC 6749 §5.2: invalid resource owner credentials are an
			// invalid_grant, which servers answer with 400 (some 401).
			if !rejected(a) {
				problems.add("%s: want 400 or 401 (RFC 6749 §5.2); %s", tc.what, a)
			} else if code, _ := a.str("error"); code != "invalid_grant" {
				problems.add(`%s: want {"error":"invalid_grant"}; %s`, tc.what, a)
			}
		default:
			if a.Status != http.StatusUnauthorized {
				problems.add("%s: want 401; %s", tc.what, a)
			} else if v, ok := a.lookup("success"); !ok || v != false {
				problems.add("%s: want success:false in a JSON body; %s", tc.what, a)
			}
		}
		if _, leaked := a.str(c.prof.Backend.Paths.AccessToken); leaked {
			problems.add("%s: the answer carries an access token", tc.what)
		}
	}
	problems.expectNone("bad credentials must be refused")
}
