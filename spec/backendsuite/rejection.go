package backendsuite

import (
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
)

// B2.5, B2.6 and B2.9: what the backend answers to what it must refuse:
// unknown or garbage refresh tokens, malformed refresh requests, and
// rejected access tokens (RFC 6750's Bearer challenge).

// B2.5
func (c *client) checkUnknownRefreshToken() {
	cases := []struct{ what, token string }{
		{"an unknown token-shaped refresh token", randomToken("")},
		{"a garbage refresh token", "!!! not a token <script>\u00e9\u2603 ' OR 1=1 --"},
		{"a JWT-shaped refresh token no backend signed", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl"},
		{"a 4 KiB refresh token", strings.Repeat(randomToken("x"), 128)},
	}
	var problems problemList
	for _, tc := range cases {
		a := c.mustAnswer(c.refresh(tc.token, tc.what))
		switch {
		case a.Status >= 500:
			problems.add("%s: a server error; want 401 or 400; %s", tc.what, a)
		case !rejected(a):
			problems.add("%s: want 401 or 400; %s", tc.what, a)
		default:
			if p := c.failureProblem(a, "invalid_grant"); p != "" {
				problems.add("%s: %s", tc.what, p)
			}
		}
	}
	problems.expectNone("an unknown or garbage refresh token must be refused with 401 or 400, never 5xx")
}

// B2.6
func (c *client) checkMalformedRefresh() {
	var problems problemList
	for _, tc := range c.malformedRefreshes() {
		a := c.mustAnswer(c.refreshRaw(tc.contentType, []byte(tc.body), "refresh with "+tc.what))
		switch {
		case a.Status == http.StatusBadRequest || a.Status == http.StatusRequestEntityTooLarge:
		case a.Status == http.StatusUnsupportedMediaType && tc.foreignType:
		case tc.noClient && a.Status == http.StatusUnauthorized && c.clientRefused(a):
		default:
			want := "400 (or 413)"
			if tc.foreignType {
				want = "400 (or 413, or 415 for a body type the endpoint does not take)"
			}
			problems.add("%s: want %s; %s", tc.what, want, a)
		}
	}
	problems.expectNone("a malformed refresh request must be answered 400 (or 413; 415 for a body type the endpoint does not take), never 5xx")
}

// malformed is one malformed refresh request of B2.6.
type malformed struct {
	what, contentType, body string
	// foreignType marks a body of a type the endpoint does not take,
	// which it may refuse with 415.
	foreignType bool
	// noClient marks a body that cannot carry the oauth2 client's
	// credentials, which an RFC 6749 server may refuse as invalid_client
	// (401, §5.2) before it looks at the grant.
	noClient bool
}

// malformedRefreshes are B2.6's cases for the refresh endpoint's body kind:
// broken forms (and a JSON body) for a form endpoint, broken JSON for a JSON
// one, each carrying the OAuth 2.0 client's authentication where a body can.
func (c *client) malformedRefreshes() []malformed {
	const mib = 1 << 20
	m := c.mapping()
	field := m.Fields.RefreshToken
	if m.Refresh.Body != dialect.BodyForm {
		const js = "application/json"
		return []malformed{
			{what: "malformed JSON", contentType: js, body: `{"` + field + `":`},
			{what: "no refresh token field", contentType: js, body: `{}`},
			{what: "a number for the refresh token", contentType: js, body: `{"` + field + `":12345}`},
			{what: "an object for the refresh token", contentType: js, body: `{"` + field + `":{"nested":true}}`},
			{what: "an empty body", contentType: js, body: ""},
			{what: "a body over 1 MiB of unterminated JSON", contentType: js, body: `{"` + field + `":"` + strings.Repeat("a", mib)},
		}
	}
	const form = "application/x-www-form-urlencoded"
	clientFields := ""
	if p := m.ClientParams(); len(p) > 0 {
		clientFields = "&" + p.Encode()
	}
	var cases []malformed
	grant := ""
	if m.IsOAuth2() {
		grant = "grant_type=refresh_token&"
		cases = append(cases,
			malformed{what: "no grant_type", contentType: form, body: field + "=" + randomToken("") + clientFields},
			malformed{what: "an unsupported grant_type", contentType: form, body: "grant_type=refreshspec_unknown&" + field + "=" + randomToken("") + clientFields},
			malformed{what: "a JSON body instead of a form", contentType: "application/json",
				body: `{"grant_type":"refresh_token","` + field + `":"x"}`, foreignType: true, noClient: true},
		)
	}
	return append(cases,
		malformed{what: "no refresh token field", contentType: form, body: grant + "unrelated=1" + clientFields},
		malformed{what: "an empty body", contentType: form, body: "", noClient: true},
		malformed{what: "a body over 1 MiB of broken escapes", contentType: form, body: grant + field + "=" + strings.Repeat("%zz", mib/3+1) + clientFields},
	)
}

// clientRefused reports whether a is RFC 6749 §5.2's invalid_client, which
// an oauth2 backend may answer a body without the client's credentials.
func (c *client) clientRefused(a *answer) bool {
	m := c.mapping()
	code, _ := a.str(m.Errors.Code)
	return m.IsOAuth2() && m.ClientID != "" && code == "invalid_client"
}

// B2.9
func (c *client) checkWWWAuthenticate() {
	unknown := c.mustAnswer(c.me(randomToken("refreshspec-unknown-access-"), "the protected resource with an unknown access token"))
	if p := invalidTokenProblem(unknown, "an unknown access token"); p != "" {
		Expect(p).To(BeEmpty(), `B2.9: a rejected access token must get 401 with WWW-Authenticate: Bearer error="invalid_token"`)
	}

	t0 := c.mustLogin()
	fresh := c.mustAnswer(c.me(t0.Access, "the protected resource with a fresh access token"))
	Expect(fresh.Status).To(Equal(http.StatusOK), "a fresh access token must be accepted before its expiry can be checked; %s", fresh)
	expired := c.meAfterExpiry(t0.Access, "the protected resource with an expired access token")
	if expired == nil {
		Skip("the unknown-token part passed; the expired-token part was not run: " + noWayToExpire)
	}
	if p := invalidTokenProblem(expired, "an expired access token"); p != "" {
		Expect(p).To(BeEmpty(), `B2.9: a rejected access token must get 401 with WWW-Authenticate: Bearer error="invalid_token"`)
	}
}

// bearerChallenge returns the parameters of the Bearer challenge in the
// WWW-Authenticate header (RFC 6750 §3), and false when there is none.
func bearerChallenge(h http.Header) (map[string]string, bool) {
	for _, v := range h.Values("WWW-Authenticate") {
		v = strings.TrimSpace(v)
		scheme, rest, _ := strings.Cut(v, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		return authParams(rest), true
	}
	return nil, false
}

// authParams parses `a="x, y", b=z` into a map, honouring quotes.
func authParams(s string) map[string]string {
	params := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(strings.TrimSpace(s), ",") {
		s = strings.TrimSpace(s)
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		rest = strings.TrimSpace(rest)
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			var b strings.Builder
			for ; end < len(rest) && rest[end] != '"'; end++ {
				if rest[end] == '\\' && end+1 < len(rest) {
					end++
				}
				b.WriteByte(rest[end])
			}
			val, s = b.String(), rest[min(end+1, len(rest)):]
		} else {
			val, s, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		params[key] = val
	}
	return params
}

// invalidTokenProblem says what is wrong with the answer to a rejected
// access token, or "": 401 with WWW-Authenticate: Bearer error="invalid_token".
func invalidTokenProblem(a *answer, what string) string {
	if a.Status != http.StatusUnauthorized {
		return fmt.Sprintf("%s: want 401; %s", what, a)
	}
	params, ok := bearerChallenge(a.Header)
	if !ok {
		return fmt.Sprintf(`%s: want WWW-Authenticate: Bearer error="invalid_token", got WWW-Authenticate %q; %s`,
			what, a.Header.Values("WWW-Authenticate"), a)
	}
	if params["error"] != "invalid_token" {
		return fmt.Sprintf(`%s: want error="invalid_token" in the Bearer challenge, got WWW-Authenticate %q`,
			what, a.Header.Values("WWW-Authenticate"))
	}
	return ""
}
