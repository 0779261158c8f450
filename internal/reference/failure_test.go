package reference

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func revokeAll(t testing.TB, ctl *control.Client, refresh string) {
	t.Helper()
	var family string
	for _, tok := range issuedTokens(t, ctl) {
		if tok.Value == refresh {
			family = tok.Family
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	if _, err := ctl.Revoke(ctx, family); err != nil {
		t.Fatalf("revoke: %v", err)
	}
}

// TestInvalidGrantDestroysSession: seed scenario 2's cleanup; and afterwards
// the cleared jar makes no backend call at all.
func TestInvalidGrantDestroysSession(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	for _, tc := range []struct {
		path   string
		status int
	}{{"/api/me", http.StatusUnauthorized}, {"/profile", http.StatusSeeOther}} {
		t.Run(tc.path, func(t *testing.T) {
			cookie := p.login()
			revokeAll(t, ctl, lastIssued(t, ctl, control.Refresh))
			since := lastSeq(t, ctl)
			a := p.get(tc.path, cookie)
			if a.Status != tc.status || !a.Cleared() {
				t.Fatalf("after invalid_grant: %d cleared=%v %v", a.Status, a.Cleared(), a.SetCookieLines())
			}
			if tc.status == http.StatusSeeOther && a.Header.Get("Location") != "/login" {
				t.Errorf("redirect to %q, want /login", a.Header.Get("Location"))
			}
			if tc.status == http.StatusUnauthorized && !strings.Contains(a.Body, `"success":false`) {
				t.Errorf("api body: %s", a.Body)
			}
			es := journal(t, ctl, since)
			if r := byRoute(es, control.RouteRefresh); len(r) != 1 || r[0].Outcome != control.OutcomeInvalidGrant {
				t.Errorf("want one refused refresh:\n%s", dumpJournal(t, es))
			}

			since = lastSeq(t, ctl)
			for _, path := range []string{"/api/me", "/profile"} {
				if a := p.get(path, nil); a.Status != http.StatusUnauthorized && a.Status != http.StatusSeeOther {
					t.Errorf("%s with the cleared jar: %d", path, a.Status)
				}
			}
			if es := journal(t, ctl, since); len(es) != 0 {
				t.Errorf("requests without a session reached the backend:\n%s", dumpJournal(t, es))
			}
		})
	}
}

// TestTransientRefreshFailureKeepsSession: P6. The session survives and,
// once the backend recovers, the same cookie works without a new login.
func TestTransientRefreshFailureKeepsSession(t *testing.T) {
	cases := []struct {
		name  string
		fault control.Fault
		api   int
	}{
		{"500", control.Fault{Kind: control.FaultStatus, Status: 500}, 502},
		{"503 html", control.Fault{Kind: control.FaultStatus, Status: 503, Body: control.BodyHTML}, 502},
		{"200 html", control.Fault{Kind: control.FaultStatus, Status: 200, Body: control.BodyHTML}, 502},
		{"200 truncated", control.Fault{Kind: control.FaultStatus, Body: control.BodyTruncated}, 502},
		{"200 without access_token", control.Fault{Kind: control.FaultStatus, Body: control.BodyMissingField}, 502},
		{"200 empty envelope", control.Fault{Kind: control.FaultStatus, Status: 200}, 502},
		{"429", control.Fault{Kind: control.FaultStatus, Status: 429}, 503},
		{"dropped connection", control.Fault{Kind: control.FaultDrop}, 502},
		{"timeout", control.Fault{Kind: control.FaultDelay, Delay: control.Duration(time.Minute)}, 502},
	}
	for _, tc := range cases {
		for _, path := range []string{"/api/me", "/profile"} {
			t.Run(tc.name+path, func(t *testing.T) {
				be, ctl := startBackend(t, fakebackend.Config{})
				p := startProxy(t, be.URL, func(c *Config) { c.BackendTimeout = 300 * time.Millisecond })
				cookie := p.login()
				refresh := lastIssued(t, ctl, control.Refresh)
				expireAccess(t, ctl)
				f := tc.fault
				f.Route = control.RouteRefresh
				queueFault(t, ctl, f)

				a := p.get(path, cookie)
				if a.Status != tc.api {
					t.Errorf("status %d, want %d: %.300s", a.Status, tc.api, a.Body)
				}
				if lines := a.SetCookieLines(); len(lines) != 0 {
					t.Errorf("the session cookie was touched: %v", lines)
				}
				wantType := "application/json"
				if path == "/profile" {
					wantType = "text/html"
				}
				if !strings.HasPrefix(a.Header.Get("Content-Type"), wantType) {
					t.Errorf("Content-Type %q, want %s", a.Header.Get("Content-Type"), wantType)
				}
				if st := tokenState(t, ctl, refresh); st != control.StateActive {
					t.Errorf("refresh token is %s after a transient failure", st)
				}

				since := lastSeq(t, ctl)
				b := p.get(path, cookie)
				if b.Status != 200 {
					t.Fatalf("after the backend recovered: %d\n%s", b.Status, dumpJournal(t, journal(t, ctl, since)))
				}
				refreshes := byRoute(journal(t, ctl, since), control.RouteRefresh)
				if len(refreshes) != 1 || refreshes[0].Token != refresh {
					t.Errorf("recovery should refresh once with the kept token:\n%s", dumpJournal(t, refreshes))
				}
			})
		}
	}
}

// TestAnonymousSessions: P8.1, P8.2, P5.3. No cookie, a tampered one, one
// sealed under another secret: 401 or a redirect, never 5xx, no backend call.
func TestAnonymousSessions(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	foreign := startProxy(t, be.URL, func(c *Config) { c.Secrets = []string{otherSecret} })
	good := p.login()
	foreignCookie := foreign.login()

	cases := map[string]*http.Cookie{
		"no cookie":    nil,
		"empty":        {Name: CookieName, Value: ""},
		"flipped byte": {Name: CookieName, Value: flipByte(good.Value)},
		"truncated":    {Name: CookieName, Value: good.Value[:len(good.Value)/2]},
		"garbage":      {Name: CookieName, Value: "not-a-cookie"},
		"oversized":    {Name: CookieName, Value: strings.Repeat("A", 6000)},
		"other secret": foreignCookie,
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			since := lastSeq(t, ctl)
			a := p.get("/api/me", c)
			if a.Status != http.StatusUnauthorized || !strings.Contains(a.Body, `"success":false`) {
				t.Errorf("api: %d %s", a.Status, a.Body)
			}
			presented := c != nil && c.Value != ""
			if presented && !a.Cleared() {
				t.Errorf("api: an unusable cookie was not cleared: %v", a.SetCookieLines())
			}
			if !presented && len(a.SetCookieLines()) != 0 {
				t.Errorf("api: cookies set for a request without one: %v", a.SetCookieLines())
			}
			pg := p.get("/profile", c)
			if pg.Status != http.StatusSeeOther || pg.Header.Get("Location") != "/login" {
				t.Errorf("page: %d Location=%q", pg.Status, pg.Header.Get("Location"))
			}
			patch := p.do(request{method: http.MethodPatch, path: "/api/profile", cookie: c, body: `{"firstName":"Eve"}`})
			if patch.Status != http.StatusUnauthorized {
				t.Errorf("patch: %d", patch.Status)
			}
			if es := journal(t, ctl, since); len(es) != 0 {
				t.Errorf("an anonymous request reached the backend:\n%s", dumpJournal(t, es))
			}
		})
	}
}

// TestKeyRotation: P8.3. With SESSION_SECRET=new,old a cookie sealed under
// old works and comes back sealed under new.
func TestKeyRotation(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	oldOnly := startProxy(t, be.URL, func(c *Config) { c.Secrets = []string{otherSecret} })
	rotated := startProxy(t, be.URL, func(c *Config) { c.Secrets = []string{testSecret, otherSecret} })
	newOnly := startProxy(t, be.URL, func(c *Config) { c.Secrets = []string{testSecret} })

	oldCookie := oldOnly.login()
	if a := newOnly.get("/api/me", oldCookie); a.Status != http.StatusUnauthorized {
		t.Fatalf("an old-key cookie opened under the new key alone: %d", a.Status)
	}
	a := rotated.get("/api/me", oldCookie)
	if a.Status != 200 {
		t.Fatalf("old-key cookie under new,old: %d %s", a.Status, a.Body)
	}
	resealed := a.SessionCookie()
	if resealed == nil || resealed.Value == oldCookie.Value {
		t.Fatalf("the old-key cookie was not resealed: %v", a.SetCookieLines())
	}
	if b := newOnly.get("/api/me", resealed); b.Status != 200 {
		t.Errorf("the resealed cookie does not open under the new key: %d", b.Status)
	}
	if b := oldOnly.get("/api/me", resealed); b.Status != http.StatusUnauthorized {
		t.Errorf("the resealed cookie still opens under the old key: %d", b.Status)
	}
	if b := rotated.get("/api/me", resealed); b.Status != 200 || b.SessionCookie() != nil {
		t.Errorf("a new-key cookie is resealed again: %d %v", b.Status, b.SetCookieLines())
	}
	assertNoTokenLeak(t, ctl, a)
}

// TestSessionTooLarge: tokens too big for a cookie are refused with a
// reason, never sent in a cookie the browser would drop.
func TestSessionTooLarge(t *testing.T) {
	big := strings.Repeat("t", 3000)
	backend := newStubBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"data":{"authorization":{"access_token":"a` + big + `","refresh_token":"r` + big + `","token_type":"Bearer","expires_in":900},"user":{"id":"u-1","firstName":"Alice"}}}`))
	})
	p := startProxy(t, backend)
	a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
	if a.Status != http.StatusBadGateway || !strings.Contains(a.Body, "session_too_large") || !strings.Contains(a.Body, "4096") {
		t.Errorf("oversized session: %d %s", a.Status, a.Body)
	}
	if lines := a.SetCookieLines(); len(lines) != 0 {
		t.Errorf("an oversized session set cookies: %d bytes", len(lines[0]))
	}
	if strings.Contains(a.Body, big) {
		t.Errorf("a token reached the client")
	}
	if !strings.Contains(p.logs.String(), "session not saved") {
		t.Errorf("the refusal was not logged:\n%s", p.logs.String())
	}
}

// TestRetryWithoutAnswerKeepsRotatedSession: the refresh succeeds but the
// retry gets no answer (a timeout). That is a transient failure: the client
// gets 502 with the rotated session saved, not a logout, and the rotated
// cookie then works without another refresh.
func TestRetryWithoutAnswerKeepsRotatedSession(t *testing.T) {
	for _, path := range []string{"/api/me", "/profile"} {
		t.Run(path, func(t *testing.T) {
			be, ctl := startBackend(t, fakebackend.Config{})
			p := startProxy(t, be.URL, func(c *Config) { c.BackendTimeout = 300 * time.Millisecond })
			cookie := p.login()
			queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 401})
			queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultDelay, Delay: control.Duration(time.Minute)})

			a := p.get(path, cookie)
			if a.Status != http.StatusBadGateway {
				t.Errorf("status %d, want 502 for a retry that got no answer: %.300s", a.Status, a.Body)
			}
			if a.Cleared() {
				t.Fatal("the session was destroyed by a transient failure of the retry")
			}
			rotated := a.SessionCookie()
			if rotated == nil || rotated.Value == cookie.Value {
				t.Fatalf("the rotated session was not saved on the 502: %v", a.SetCookieLines())
			}

			since := lastSeq(t, ctl)
			b := p.get(path, rotated)
			if b.Status != http.StatusOK {
				t.Fatalf("the rotated cookie after recovery: %d", b.Status)
			}
			if n := len(byRoute(journal(t, ctl, since), control.RouteRefresh)); n != 0 {
				t.Errorf("the rotated cookie needed %d more refreshes, want 0", n)
			}
		})
	}
}
