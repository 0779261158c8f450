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

func TestTamperSetKeepsCompanions(t *testing.T) {
	up := func(v string) string { return v + "X" }
	for _, c := range []struct{ in, want string }{
		{"session=abc", "session=abcX"},
		{"session=abc; session.sig=SIG", "session=abcX; session.sig=SIG"},
		{"session.0=aaaa; session.1=bb", "session.0=aaaa; session.1=bbX"},
		{"__Host-s=v", "__Host-s=vX"},
	} {
		if got := tamperSet(c.in, up); got != c.want {
			t.Errorf("tamperSet(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	half := func(v string) string { return v[:len(v)/2] }
	if got := tamperSet("s.0=aaaa; s.1=bbbb", half); got != "s.0=aaaa" {
		t.Errorf("a chunked value cut in half: %q, want s.0=aaaa", got)
	}
}

func TestSetRoundTrip(t *testing.T) {
	set := encodeSet([]*http.Cookie{{Name: "s.sig", Value: "x=="}, {Name: "s", Value: "a=b"}})
	if set != "s=a=b; s.sig=x==" {
		t.Fatalf("encodeSet = %q", set)
	}
	back := decodeSet(set)
	if len(back) != 2 || back[0].Value != "a=b" || back[1].Name != "s.sig" {
		t.Errorf("decodeSet = %v", back)
	}
	if decodeSet("") != nil {
		t.Error("the empty set decodes to cookies")
	}
}
