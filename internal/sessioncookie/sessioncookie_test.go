package sessioncookie

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		full, prefix, base string
		part               Part
		index              int
	}{
		{"session", "", "session", Main, 0},
		{"session.sig", "", "session", Sig, 0},
		{"session.0", "", "session", Chunk, 0},
		{"session.12", "", "session", Chunk, 12},
		{"_oauth2_proxy_1", "", "_oauth2_proxy", Chunk, 1},
		{"__Secure-authjs.session-token", SecurePrefix, "authjs.session-token", Main, 0},
		{"__Secure-authjs.session-token.1", SecurePrefix, "authjs.session-token", Chunk, 1},
		{"__Host-session", HostPrefix, "session", Main, 0},
		{"laravel_session", "", "laravel_session", Main, 0},
		{"session.01", "", "session.01", Main, 0}, // not a chunk index as chunkers write them
		{".sig", "", ".sig", Main, 0},
	} {
		n := ParseName(c.full)
		if n.Prefix != c.prefix || n.Base != c.base || n.Part != c.part || n.Index != c.index {
			t.Errorf("ParseName(%q) = %+v, want prefix %q base %q part %d index %d", c.full, n, c.prefix, c.base, c.part, c.index)
		}
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		name     string
		want     bool
	}{
		{[]string{"session"}, "session", true},
		{[]string{"session"}, "session.sig", true},
		{[]string{"session"}, "session.1", true},
		{[]string{"session"}, "session_1", true},
		{[]string{"session"}, "__Host-session", true},
		{[]string{"session"}, "__Secure-session.0", true},
		{[]string{"session"}, "sessionid", false},
		{[]string{"session"}, "XSRF-TOKEN", false},
		{[]string{"authjs.session-token"}, "__Secure-authjs.session-token", true},
		{[]string{"__Secure-authjs.session-token"}, "authjs.session-token", true},
		{[]string{"*.session-token"}, "__Secure-next-auth.session-token.1", true},
		{[]string{"a", "b"}, "b.sig", true},
		{nil, "session", false},
	} {
		if got := Matches(c.patterns, c.name); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.patterns, c.name, got, c.want)
		}
	}
}

func TestValueJoinsChunksInOrder(t *testing.T) {
	set := []*http.Cookie{{Name: "s.sig", Value: "SIG"}, {Name: "s.1", Value: "bb"}, {Name: "s.0", Value: "aa"}, {Name: "s.2", Value: "c"}}
	if v := Value(set); v != "aabbc" {
		t.Errorf("Value = %q, want aabbc", v)
	}
	if v := Value([]*http.Cookie{{Name: "s", Value: "main"}, {Name: "s.sig", Value: "x"}}); v != "main" {
		t.Errorf("Value = %q, want main", v)
	}
}

func TestPrefixRules(t *testing.T) {
	ok := &http.Cookie{Name: "__Host-s", Value: "v", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if p := Problems(ok, true); len(p) != 0 {
		t.Errorf("a good __Host- cookie: %q", p)
	}
	withDomain := *ok
	withDomain.Domain = "example.com"
	if p := Problems(&withDomain, true); len(p) != 1 || !strings.Contains(p[0], "no Domain") {
		t.Errorf("__Host- with a Domain: %q", p)
	}
	insecure := *ok
	insecure.Name, insecure.Secure = "__Secure-s", false
	if p := Problems(&insecure, false); len(p) != 1 || !strings.Contains(p[0], "__Secure-") {
		t.Errorf("__Secure- without Secure, COOKIE_SECURE off: %q", p)
	}
	if p := Problems(&insecure, true); len(p) != 1 {
		t.Errorf("__Secure- without Secure, COOKIE_SECURE on: said once, got %q", p)
	}
}

func TestLastWins(t *testing.T) {
	in := []*http.Cookie{
		{Name: "s", Value: "1", Path: "/", HttpOnly: true},
		{Name: "other", Value: "x", Path: "/"},
		{Name: "s", Value: "2", Path: "/"},
		{Name: "s", Value: "3", Path: "/api"},
	}
	kept, dups := LastWins(in)
	var got []string
	for _, c := range kept {
		got = append(got, c.Name+"="+c.Value+c.Path)
	}
	if want := []string{"other=x/", "s=2/", "s=3/api"}; !slices.Equal(got, want) {
		t.Errorf("kept %q, want %q", got, want)
	}
	if !slices.Equal(dups, []string{"s (2 times)"}) {
		t.Errorf("dups %q", dups)
	}
}
