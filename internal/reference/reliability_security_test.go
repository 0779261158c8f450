package reference

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// TestLogsCarryNoToken: a whole session's life (JSON and form login, a
// resource call, a refresh, a failed refresh and its recovery, a profile
// update, a tampered cookie, a replayed old cookie, logout) with the
// reference's and the fake backend's logs captured at debug level. No
// token the backend issued appears in either, raw or base64-encoded.
func TestLogsCarryNoToken(t *testing.T) {
	backendLogs := &syncBuffer{}
	be, ctl := startBackend(t, fakebackend.Config{
		Logger: slog.New(slog.NewJSONHandler(backendLogs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	p := startProxy(t, be.URL)

	cookie := p.login()
	if a := p.form("/login", nil, url.Values{"email": {aliceEmail}, "password": {alicePassword}}); a.Status != http.StatusSeeOther {
		t.Fatalf("form login: %d", a.Status)
	}
	steps := []struct {
		name string
		do   func() *answer
		want int
	}{
		{"me", func() *answer { return p.get("/api/me", cookie) }, http.StatusOK},
		{"refresh", func() *answer { expireAccess(t, ctl); return p.get("/api/me", cookie) }, http.StatusOK},
		{"failed refresh", func() *answer {
			expireAccess(t, ctl)
			queueFault(t, ctl, control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 500})
			return p.get("/profile", cookie)
		}, http.StatusBadGateway},
		{"recovery", func() *answer { return p.get("/profile", cookie) }, http.StatusOK},
		{"profile update", func() *answer {
			return p.do(request{method: http.MethodPatch, path: "/api/profile", cookie: cookie, body: `{"firstName":"Alicia"}`})
		}, http.StatusOK},
		{"tampered cookie", func() *answer { return p.get("/api/me", &http.Cookie{Name: CookieName, Value: flipByte(cookie.Value)}) }, http.StatusUnauthorized},
		{"logout", func() *answer { return p.do(request{method: http.MethodPost, path: "/logout", cookie: cookie}) }, http.StatusOK},
		{"replay after logout", func() *answer { return p.get("/api/me", cookie) }, http.StatusUnauthorized},
	}
	var tokens []control.Token
	for _, step := range steps {
		tokens = append(tokens, issuedTokens(t, ctl)...) // before logout may let the sweep drop them
		a := step.do()
		if a.Status != step.want {
			t.Fatalf("%s: %d, want %d: %.200s", step.name, a.Status, step.want, a.Body)
		}
		if c := a.SessionCookie(); c != nil && c.Value != "" {
			cookie = c
		}
	}
	tokens = append(tokens, issuedTokens(t, ctl)...)
	for _, e := range journal(t, ctl, 0) {
		tokens = append(tokens, e.Issued...)
	}
	kinds := map[control.TokenKind]int{}
	seen := map[string]bool{}
	for _, tok := range tokens {
		if !seen[tok.Value] {
			seen[tok.Value] = true
			kinds[tok.Kind]++
		}
	}
	// Two logins and two rotations issued 4 pairs; the malformed-200 fault
	// is not in this flow, so every token is known.
	if kinds[control.Access] < 4 || kinds[control.Refresh] < 4 {
		t.Fatalf("the flow issued too few tokens to mean anything: %v", kinds)
	}
	for name, logs := range map[string]string{"reference": p.logs.String(), "fake backend": backendLogs.String()} {
		if !strings.Contains(logs, `"msg":"refresh`) {
			t.Fatalf("the %s log has no refresh line; was it captured?\n%s", name, logs)
		}
		for value := range seen {
			for _, form := range []string{value, base64.StdEncoding.EncodeToString([]byte(value)), base64.RawURLEncoding.EncodeToString([]byte(value))} {
				if strings.Contains(logs, form) {
					t.Errorf("the %s log carries an issued token (%.8s…)", name, value)
				}
			}
		}
	}
}

// TestTamperedCookiesOnEveryRoute: P8.1 and P8.2 for every route a cookie
// can reach. Each tampered form is an anonymous session: never a 5xx, the
// cookie cleared wherever a session is read, and no backend call at all.
func TestTamperedCookiesOnEveryRoute(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	foreign := startProxy(t, be.URL, func(c *Config) { c.Secrets = []string{otherSecret} })
	good := p.login()
	foreignCookie := foreign.login()

	store, err := newSessionStore(Config{Secrets: []string{testSecret}, now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	seal := func(s session) string {
		c, err := store.cookie(&s)
		if err != nil {
			t.Fatal(err)
		}
		return c.Value
	}
	forms := map[string]string{
		"flipped byte":    flipByte(good.Value),
		"truncated":       good.Value[:len(good.Value)/2],
		"one byte short":  good.Value[:len(good.Value)-1],
		"garbage":         "not-a-cookie",
		"base64 garbage":  base64.URLEncoding.EncodeToString([]byte("1700000000|c2Vzc2lvbg==|bWFj")),
		"oversized":       strings.Repeat("A", 6000),
		"oversized valid": good.Value + strings.Repeat("A", MaxCookieBytes),
		"other secret":    foreignCookie.Value,
		// Sealed with the key, but unusable: past the session's bound, or
		// without tokens.
		"expired session": seal(session{Access: "a", Refresh: "r", RefreshExpiry: time.Now().Add(-time.Second).Unix()}),
		"no tokens":       seal(session{RefreshExpiry: time.Now().Add(time.Hour).Unix(), UserID: "u-1"}),
	}
	routes := []struct {
		method, path string
		body         string
		want         int
		clears       bool
	}{
		{http.MethodGet, "/login", "", http.StatusOK, true},
		{http.MethodGet, "/profile", "", http.StatusSeeOther, true},
		{http.MethodGet, "/api/me", "", http.StatusUnauthorized, true},
		{http.MethodPatch, "/api/profile", `{"firstName":"Eve"}`, http.StatusUnauthorized, true},
		{http.MethodPost, "/logout", "", http.StatusOK, true},
		{http.MethodGet, "/", "", http.StatusSeeOther, false},
		{http.MethodGet, "/nope", "", http.StatusNotFound, false},
	}
	for name, value := range forms {
		for _, rt := range routes {
			t.Run(name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				since := lastSeq(t, ctl)
				a := p.do(request{method: rt.method, path: rt.path, body: rt.body, cookie: &http.Cookie{Name: CookieName, Value: value}})
				if a.Status != rt.want {
					t.Errorf("status %d, want %d: %.200s", a.Status, rt.want, a.Body)
				}
				if rt.clears && !a.Cleared() {
					t.Errorf("the unusable cookie was not cleared: %v", a.SetCookieLines())
				}
				if c := a.SessionCookie(); c != nil && c.Value != "" {
					t.Errorf("a tampered cookie got a session back")
				}
				if es := journal(t, ctl, since); len(es) != 0 {
					t.Errorf("a tampered cookie reached the backend:\n%s", dumpJournal(t, es))
				}
			})
		}
	}
	// The good cookie still works: the tampering was refused, not the session.
	if a := p.get("/api/me", good); a.Status != http.StatusOK {
		t.Errorf("the untampered cookie after all that: %d", a.Status)
	}
}

// TestShortSecretsAreRefused: every entry of SESSION_SECRET needs 32
// characters, through NewServer as through the environment, and the error
// never echoes the secret.
func TestShortSecretsAreRefused(t *testing.T) {
	exactly32 := strings.Repeat("s", MinSecretLength)
	short := strings.Repeat("q", MinSecretLength-1)
	for _, secrets := range [][]string{{short}, {exactly32, short}, {""}, nil} {
		_, err := NewServer(Config{BackendURL: "http://127.0.0.1:1", Secrets: secrets})
		if err == nil {
			t.Errorf("NewServer accepted secrets of lengths %v", lengths(secrets))
			continue
		}
		if len(secrets) > 0 && secrets[len(secrets)-1] != "" && strings.Contains(err.Error(), secrets[len(secrets)-1]) {
			t.Errorf("the error echoes the secret: %v", err)
		}
	}
	srv, err := NewServer(Config{BackendURL: "http://127.0.0.1:1", Secrets: []string{exactly32}})
	if err != nil {
		t.Fatalf("a 32-character secret was refused: %v", err)
	}
	srv.Close()
	_, err = ConfigFromEnv(func(k string) string {
		return map[string]string{EnvBackendURL: "http://127.0.0.1:1", EnvSessionSecret: exactly32 + "," + short}[k]
	})
	if err == nil || strings.Contains(err.Error(), short) {
		t.Errorf("SESSION_SECRET with a 31-character entry: %v", err)
	}
}

func lengths(ss []string) []int {
	out := make([]int, len(ss))
	for i, s := range ss {
		out[i] = len(s)
	}
	return out
}
