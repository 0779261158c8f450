package proxysuite

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/profile"
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

func suiteWith(t *testing.T, yaml string) *suite {
	t.Helper()
	p := profile.Default()
	if yaml != "" {
		var err error
		if p, err = profile.Parse([]byte(yaml)); err != nil {
			t.Fatal(err)
		}
	}
	return &suite{cfg: &Config{Profile: p}}
}

// A response's Set-Cookies apply to the set a client holds as a browser
// applies them: the last of a cookie wins, a clearing one deletes; a
// signature alone is no session.
func TestSessionAfterAppliesAsABrowser(t *testing.T) {
	s := suiteWith(t, "")
	s.cookieName = "session"
	r := &response{Cookies: []*http.Cookie{
		{Name: "session.0", Value: "first", Path: "/"},
		{Name: "session.0", Value: "new0", Path: "/"},
		{Name: "session.1", Value: "new1", Path: "/"},
		{Name: "session.2", Value: "", Path: "/", MaxAge: -1},
		{Name: "XSRF-TOKEN", Value: "x", Path: "/"},
	}}
	got := s.sessionAfter("session.0=a; session.1=b; session.2=c", r)
	if want := "session.0=new0; session.1=new1"; got != want {
		t.Errorf("sessionAfter = %q, want %q", got, want)
	}
	if !s.setsSession(r) || s.clearsSession(r) {
		t.Errorf("setsSession %v, clearsSession %v: want a session set, not cleared", s.setsSession(r), s.clearsSession(r))
	}
	sigOnly := &response{Cookies: []*http.Cookie{{Name: "session.sig", Value: "s", Path: "/"}}}
	if s.setsSession(sigOnly) {
		t.Error("a signature alone sets no session")
	}
	cleared := &response{Cookies: []*http.Cookie{{Name: "__Host-session", Value: "", MaxAge: -1}, {Name: "__Host-session.sig", Value: "", MaxAge: -1}}}
	if !s.clearsSession(cleared) {
		t.Error("clearing __Host-session and its signature clears the session")
	}
}

// A login that sets no cookie of the session names proxy.cookie_name and
// lists what it set.
func TestCookieNameHintNamesTheKey(t *testing.T) {
	s := suiteWith(t, "proxy:\n  cookie_name: sid\n")
	r := &response{Cookies: []*http.Cookie{{Name: "connect.sid", Value: "v", HttpOnly: true}, {Name: "csrf", Value: "c"}}}
	s.learnCookieName(r)
	if s.setsSession(r) {
		t.Fatal("connect.sid is not the session sid")
	}
	hint := s.cookieNameHint(r)
	for _, want := range []string{"proxy.cookie_name", "connect.sid", "csrf"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the hint %q does not say %q", hint, want)
		}
	}
	// The default profile learns the base of the first HttpOnly cookie,
	// prefix and companions included.
	s = suiteWith(t, "")
	s.learnCookieName(&response{Cookies: []*http.Cookie{{Name: "XSRF-TOKEN", Value: "x"}, {Name: "__Secure-authjs.session-token.0", Value: "v", HttpOnly: true}}})
	if s.cookieName != "authjs.session-token" || s.mainName != "__Secure-authjs.session-token" || !s.isSessionCookie("authjs.session-token.1") || s.isSessionCookie("XSRF-TOKEN") {
		t.Errorf("learned base %q, main %q", s.cookieName, s.mainName)
	}
}

// P8.1's flips change what the value decodes to, at its start, middle and
// end, and keep a base64url value in its alphabet.
func TestFlipAtChangesTheDecodedValue(t *testing.T) {
	for _, v := range []string{"MTcwMDAwMDAwMHxhYmNk", "MTcwMDAwMDAwMHxhYmM", "abc-_xyz0", "Fe26.2**abc*def~2", "eyJhIjoxfQ=="} {
		for where := range 3 {
			got := flipAt(where)(v)
			if got == v || len(got) != len(v) {
				t.Errorf("flipAt(%d)(%q) = %q, want another value of the same length", where, v, got)
			}
			if strings.ContainsAny(v, "-_") && strings.ContainsAny(got, "+/") {
				t.Errorf("flipAt(%d)(%q) = %q: a base64url value got a standard-alphabet character", where, v, got)
			}
		}
	}
	// The last character of unpadded base64 carries padding bits a lax
	// decoder ignores: the flip must change the bytes all the same.
	v := base64.RawURLEncoding.EncodeToString([]byte("token-x"))
	a, _ := base64.RawURLEncoding.DecodeString(v)
	b, err := base64.RawURLEncoding.DecodeString(flipAt(2)(v))
	if err == nil && string(a) == string(b) {
		t.Errorf("flipAt(2)(%q) decodes to the same bytes", v)
	}
}
