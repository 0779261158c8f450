package spec

import (
	"encoding/base64"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/cdproto/network"
)

func TestBrHoldsTokenSeesThroughOneEncoding(t *testing.T) {
	const tok = "tok_8f3a9c2e71d04b5f"
	for name, value := range map[string]string{
		"raw":              tok,
		"inside text":      "access=" + tok + "&x=1",
		"URL-escaped JSON": url.QueryEscape(`{"access_token":"` + tok + `"}`),
		"base64":           base64.StdEncoding.EncodeToString([]byte(`{"a":"` + tok + `"}`)),
		"base64url raw":    base64.RawURLEncoding.EncodeToString([]byte(`{"a":"` + tok + `"}`)),
		"quoted base64":    `"` + base64.StdEncoding.EncodeToString([]byte(tok)) + `"`,
	} {
		if !brHoldsToken(value, tok) {
			t.Errorf("%s: %q holds the token, but brHoldsToken says no", name, value)
		}
	}
	for name, value := range map[string]string{
		"other token":   "tok_0000000000000000",
		"encrypted":     "MTcwMDAwMDAwMHxEdi1CQkFFQ180SUFBUkFCRUFBQUJmXzQ",
		"empty":         "",
		"prefix only":   tok[:10],
		"base64 prefix": base64.StdEncoding.EncodeToString([]byte(tok[:10])),
	} {
		if brHoldsToken(value, tok) {
			t.Errorf("%s: %q does not hold the token, but brHoldsToken says yes", name, value)
		}
	}
	if brHoldsToken("anything", "") {
		t.Error("an empty token must never match")
	}
}

func TestBrSplitCookies(t *testing.T) {
	got := brSplitCookies("a=1; tokens=x=y;  b=; ;flag")
	want := [][2]string{{"a", "1"}, {"tokens", "x=y"}, {"b", ""}, {"flag", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("brSplitCookies = %q, want %q", got, want)
	}
	if got := brSplitCookies(""); len(got) != 0 {
		t.Errorf("brSplitCookies(\"\") = %q, want none", got)
	}
}

func TestBrSessionCookiesAreWhatTheLoginSetOrChanged(t *testing.T) {
	before := []*network.Cookie{{Name: "csrf", Value: "c1"}, {Name: "session", Value: "anon"}}
	after := []*network.Cookie{{Name: "csrf", Value: "c1"}, {Name: "session", Value: "sealed"}, {Name: "tokens", Value: "t"}}
	if got, want := brSessionCookies("", before, after), []string{"session", "tokens"}; !slices.Equal(got, want) {
		t.Errorf("brSessionCookies = %v, want %v", got, want)
	}
	if got, want := brSessionCookies("sid", before, after), []string{"sid"}; !slices.Equal(got, want) {
		t.Errorf("with a profile cookie name, brSessionCookies = %v, want %v", got, want)
	}
}

// TestBrSessionCookiesPreferHttpOnly: a login that sets an HttpOnly session
// and a script-readable CSRF cookie (Laravel's XSRF-TOKEN) has one session
// cookie, the HttpOnly one; a login whose only new cookie lacks HttpOnly
// still names it, so that W1.2 fails on it.
func TestBrSessionCookiesPreferHttpOnly(t *testing.T) {
	after := []*network.Cookie{{Name: "XSRF-TOKEN", Value: "x1"}, {Name: "laravel_session", Value: "s1", HTTPOnly: true}}
	if got, want := brSessionCookies("", nil, after), []string{"laravel_session"}; !slices.Equal(got, want) {
		t.Errorf("brSessionCookies = %v, want %v", got, want)
	}
	scriptOnly := []*network.Cookie{{Name: "session", Value: "s1"}}
	if got, want := brSessionCookies("", nil, scriptOnly), []string{"session"}; !slices.Equal(got, want) {
		t.Errorf("with no HttpOnly cookie, brSessionCookies = %v, want %v", got, want)
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
func TestBrChromiumFlagsKeepTheBrowserOffline(t *testing.T) {
	want := []string{"headless", "no-sandbox", "disable-gpu", "disable-background-networking",
		"disable-component-update", "disable-sync", "no-first-run", "disable-quic"}
	if !slices.Equal(brChromiumFlags, want) {
		t.Errorf("brChromiumFlags = %v, want exactly %v", brChromiumFlags, want)
	}
}
