package browsersuite

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"

	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

func TestSplitCookies(t *testing.T) {
	got := splitCookies("a=1; tokens=x=y;  b=; ;flag")
	want := [][2]string{{"a", "1"}, {"tokens", "x=y"}, {"b", ""}, {"flag", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("splitCookies = %q, want %q", got, want)
	}
	if got := splitCookies(""); len(got) != 0 {
		t.Errorf("splitCookies(\"\") = %q, want none", got)
	}
}

func TestSessionCookiesAreWhatTheLoginSetOrChanged(t *testing.T) {
	before := []*network.Cookie{{Name: "csrf", Value: "c1"}, {Name: "session", Value: "anon"}}
	after := []*network.Cookie{{Name: "csrf", Value: "c1"}, {Name: "session", Value: "sealed"}, {Name: "tokens", Value: "t"}}
	if got, want := sessionCookies(nil, before, after), []string{"session", "tokens"}; !slices.Equal(got, want) {
		t.Errorf("sessionCookies = %v, want %v", got, want)
	}
	if got, want := sessionCookies([]string{"sid"}, before, after), []string{"sid"}; !slices.Equal(got, want) {
		t.Errorf("with a profile cookie name, sessionCookies = %v, want %v", got, want)
	}
}

// TestSessionCookiesPreferHttpOnly: a login that sets an HttpOnly session
// and a script-readable CSRF cookie (Laravel's XSRF-TOKEN) has one session
// cookie, the HttpOnly one; a login whose only new cookie lacks HttpOnly
// still names it, so that W1.2 fails on it.
func TestSessionCookiesPreferHttpOnly(t *testing.T) {
	after := []*network.Cookie{{Name: "XSRF-TOKEN", Value: "x1"}, {Name: "laravel_session", Value: "s1", HTTPOnly: true}}
	if got, want := sessionCookies(nil, nil, after), []string{"laravel_session"}; !slices.Equal(got, want) {
		t.Errorf("sessionCookies = %v, want %v", got, want)
	}
	scriptOnly := []*network.Cookie{{Name: "session", Value: "s1"}}
	if got, want := sessionCookies(nil, nil, scriptOnly), []string{"session"}; !slices.Equal(got, want) {
		t.Errorf("with no HttpOnly cookie, sessionCookies = %v, want %v", got, want)
	}
}

func TestFindChromium(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "my-chrome")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()

	t.Run("explicit path wins", func(t *testing.T) {
		t.Setenv(EnvChromium, "/nonexistent/chrome")
		if got, err := FindChromium(fake); err != nil || got != fake {
			t.Errorf("FindChromium(%q) = %q, %v; want the path", fake, got, err)
		}
	})
	t.Run("environment names it", func(t *testing.T) {
		t.Setenv(EnvChromium, fake)
		if got, err := FindChromium(""); err != nil || got != fake {
			t.Errorf("FindChromium with %s=%q = %q, %v; want the path", EnvChromium, fake, got, err)
		}
	})
	t.Run("a named browser that is missing is an error, not a skip", func(t *testing.T) {
		t.Setenv(EnvChromium, filepath.Join(dir, "missing"))
		_, err := FindChromium("")
		if err == nil || errors.Is(err, ErrChromiumNotFound) {
			t.Errorf("FindChromium = %v; want an error that is not ErrChromiumNotFound", err)
		}
	})
	t.Run("nothing on PATH", func(t *testing.T) {
		t.Setenv(EnvChromium, "")
		t.Setenv("PATH", empty)
		if _, err := FindChromium(""); !errors.Is(err, ErrChromiumNotFound) {
			t.Errorf("FindChromium = %v; want ErrChromiumNotFound", err)
		}
	})
	t.Run("found on PATH", func(t *testing.T) {
		t.Setenv(EnvChromium, "")
		onPath := filepath.Join(empty, "chromium-browser")
		if err := os.WriteFile(onPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", empty)
		if got, err := FindChromium(""); err != nil || got != onPath {
			t.Errorf("FindChromium = %q, %v; want %q", got, err, onPath)
		}
	})
}

// The browser must not reach the network on its own (the suite runs
// offline, and a CI runner must not call out): only the flags that switch
// such features off, and none of chromedp's defaults.
func TestChromiumFlagsKeepTheBrowserOffline(t *testing.T) {
	want := []string{"headless", "no-sandbox", "disable-gpu", "disable-background-networking",
		"disable-component-update", "disable-sync", "no-first-run", "disable-quic"}
	if !slices.Equal(chromiumFlags, want) {
		t.Errorf("chromiumFlags = %v, want exactly %v", chromiumFlags, want)
	}
}

// The browser judges the session's whole set, each response's last
// Set-Cookie of a cookie counting.
func TestCookieProblemsJudgeTheSetLastWins(t *testing.T) {
	s := &session{cfg: &Config{Proxy: &proxysuite.Config{Target: target.URL("http://127.0.0.1:1")}}, base: "http://127.0.0.1:1", sessionNames: []string{"session"}}
	good := func(name string) *http.Cookie {
		return &http.Cookie{Name: name, Value: "v", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	}
	bare := good("session")
	bare.HttpOnly = false
	got := s.cookieProblems([]setCookie{
		{where: "a", response: 1, cookie: good("session")},
		{where: "a", response: 1, cookie: good("session.sig")},
		{where: "b", response: 2, cookie: bare}, // the last of two: it counts
		{where: "b", response: 2, cookie: good("session")},
		{where: "c", response: 3, cookie: good("session")},
		{where: "c", response: 3, cookie: bare},
		{where: "d", response: 4, cookie: good("XSRF-TOKEN")},
	})
	if len(got) != 1 || !strings.HasPrefix(got[0], "c: ") {
		t.Errorf("cookieProblems = %q, want one, for response c", got)
	}
}
