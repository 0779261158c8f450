package proxysuite

import (
	"encoding/base64"
	"encoding/json"
	"time"

	. "github.com/onsi/gomega"
)

// unsealed is P8.1's well-formed but unsealed session: JSON holding real
// tokens, only encoded, as an older cookie format of the app or a
// signed-only library writes it. A target that opens it lets anyone who
// learned a token (a log, a leaked response) forge a session.
type unsealed struct {
	shape    unsealedShape
	encoding unsealedEncoding
}

// unsealedShape is a JSON session as apps commonly write it, around an
// access and a refresh token.
type unsealedShape struct {
	name string
	make func(access, refresh string, expires int64) any
}

// unsealedEncoding is how the JSON is written into the cookie.
type unsealedEncoding struct {
	name string
	enc  *base64.Encoding
}

var unsealedShapes = []unsealedShape{
	{`{"accessToken","refreshToken"}`, func(a, r string, exp int64) any {
		return map[string]any{"accessToken": a, "refreshToken": r, "expiresAt": exp}
	}},
	{`{"access_token","refresh_token"}`, func(a, r string, exp int64) any {
		return map[string]any{"access_token": a, "refresh_token": r, "expires_at": exp, "token_type": "Bearer"}
	}},
	{`{"tokens":{...}}`, func(a, r string, exp int64) any {
		return map[string]any{"user": map[string]any{"id": "u1"}, "tokens": map[string]any{"accessToken": a, "refreshToken": r, "access_token": a, "refresh_token": r, "expiresAt": exp}}
	}},
}

var unsealedEncodings = []unsealedEncoding{
	{"base64", base64.StdEncoding},
	{"base64url", base64.RawURLEncoding},
}

// P8.1, the unsealed session. Its tokens are real: another session of the
// run logged in and the backend issued them, so a target that accepts the
// cookie calls the backend with them, which the journal shows. It is
// presented as the whole set of the login's cookies with the session's
// value replaced (a companion kept as it was).
func (s *suite) unsealedSessionIsAnonymous(u unsealed) {
	victim := s.newSession().login()
	set := s.sessionOf(victim)
	payload, err := json.Marshal(u.shape.make(victim.Access, victim.Refresh, time.Now().Add(time.Hour).Unix()))
	Expect(err).NotTo(HaveOccurred())
	value := u.encoding.enc.EncodeToString(payload)
	cookie := tamperSet(set, func(string) string { return value })
	Expect(cookie).NotTo(Equal(set))
	s.expectAnonymous(cookie)
}
