package proxysuite

import (
	"net/http"
	"testing"
)

func TestGuessSessionCookiePrefersHttpOnly(t *testing.T) {
	for _, c := range []struct {
		name    string
		cookies []*http.Cookie
		want    string
	}{
		{"csrf first, session HttpOnly", []*http.Cookie{{Name: "XSRF-TOKEN", Value: "x"}, {Name: "laravel_session", Value: "s", HttpOnly: true}}, "laravel_session"},
		{"only a script cookie", []*http.Cookie{{Name: "session", Value: "s"}}, "session"},
		{"clearing and empty skipped", []*http.Cookie{{Name: "old", Value: "v", HttpOnly: true, MaxAge: -1}, {Name: "e", Value: "", HttpOnly: true}, {Name: "sid", Value: "v"}}, "sid"},
		{"none", nil, ""},
	} {
		if got := guessSessionCookie(c.cookies); got != c.want {
			t.Errorf("%s: guessSessionCookie = %q, want %q", c.name, got, c.want)
		}
	}
}
