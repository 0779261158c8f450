package reference

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// TestRefreshOn401 is the seed's scenarios 1 and 2: resource 401, one
// refresh, the resource again with the new access token, the rotated
// session in a Set-Cookie on that same response.
func TestRefreshOn401(t *testing.T) {
	for _, tc := range []struct {
		name   string
		path   string
		method string
		body   string
		route  control.Route
		check  func(t *testing.T, a *answer)
	}{
		{"api", "/api/me", http.MethodGet, "", control.RouteMe, func(t *testing.T, a *answer) {
			var me struct {
				Success bool `json:"success"`
				Data    user `json:"data"`
			}
			if err := json.Unmarshal([]byte(a.Body), &me); err != nil || !me.Success || me.Data.FirstName != aliceFirstName {
				t.Errorf("/api/me body: %s", a.Body)
			}
		}},
		{"page", "/profile", http.MethodGet, "", control.RouteMe, func(t *testing.T, a *answer) {
			if !strings.Contains(a.Body, `<span id="first-name">Alice</span>`) {
				t.Errorf("profile page lacks the first name:\n%s", a.Body)
			}
		}},
		{"patch", "/api/profile", http.MethodPatch, `{"lastName":"Pleasance"}`, control.RouteProfile, func(t *testing.T, a *answer) {
			if !strings.Contains(a.Body, "Pleasance") {
				t.Errorf("PATCH answer lacks the change: %s", a.Body)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be, ctl := startBackend(t, fakebackend.Config{})
			p := startProxy(t, be.URL)
			cookie := p.login()
			oldAccess := lastIssued(t, ctl, control.Access)
			oldRefresh := lastIssued(t, ctl, control.Refresh)
			expireAccess(t, ctl)
			since := lastSeq(t, ctl)

			a := p.do(request{method: tc.method, path: tc.path, cookie: cookie, body: tc.body})
			es := journal(t, ctl, since)
			if a.Status != http.StatusOK {
				t.Fatalf("%s %s after expiry: %d %s\njournal:\n%s", tc.method, tc.path, a.Status, a.Body, dumpJournal(t, es))
			}
			tc.check(t, a)

			if len(es) != 3 {
				t.Fatalf("want resource 401, refresh, resource 200; journal:\n%s", dumpJournal(t, es))
			}
			first, refresh, retry := es[0], es[1], es[2]
			if first.Route != tc.route || first.Status != 401 || first.Token != oldAccess {
				t.Errorf("first call: %+v", first)
			}
			if refresh.Route != control.RouteRefresh || refresh.Status != 200 || refresh.Token != oldRefresh {
				t.Errorf("refresh call: %+v", refresh)
			}
			newAccess, _ := refreshIssued(t, refresh)
			if retry.Route != tc.route || retry.Status != 200 || retry.Token != newAccess {
				t.Errorf("retry call: route %s status %d presented %.8s…, want the new access token %.8s…", retry.Route, retry.Status, retry.Token, newAccess)
			}
			if retry.Method != first.Method || retry.Body != first.Body || first.Body != tc.body {
				t.Errorf("retry is %s %q, first call %s %q, client sent %q", retry.Method, retry.Body, first.Method, first.Body, tc.body)
			}
			rotated := a.SessionCookie()
			if rotated == nil || rotated.Value == "" || rotated.Value == cookie.Value {
				t.Fatalf("no rotated session cookie on the refreshing response: %v", a.SetCookieLines())
			}
			if !rotated.HttpOnly || rotated.Path != "/" || rotated.SameSite != http.SameSiteLaxMode {
				t.Errorf("rotated cookie attributes: %v", a.SetCookieLines())
			}
			assertNoTokenLeak(t, ctl, a)
		})
	}
}

// TestRotatedSessionPersists: the rotated cookie is what the next requests
// use: no second refresh, the new access token presented, and at the next
// expiry the new refresh token, never the used one.
func TestRotatedSessionPersists(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	cookie := p.login()
	expireAccess(t, ctl)
	since := lastSeq(t, ctl)
	a := p.get("/api/me", cookie)
	if a.Status != 200 {
		t.Fatalf("first request after expiry: %d", a.Status)
	}
	cookie = a.SessionCookie()
	refreshes := byRoute(journal(t, ctl, since), control.RouteRefresh)
	if len(refreshes) != 1 {
		t.Fatalf("refreshes: %d", len(refreshes))
	}
	newAccess, newRefresh := refreshIssued(t, refreshes[0])

	since = lastSeq(t, ctl)
	if a := p.get("/api/me", cookie); a.Status != 200 || a.SessionCookie() != nil {
		t.Fatalf("second request: %d, Set-Cookie %v", a.Status, a.SetCookieLines())
	}
	es := journal(t, ctl, since)
	if len(es) != 1 || es[0].Token != newAccess {
		t.Fatalf("second request should present the rotated access token once:\n%s", dumpJournal(t, es))
	}

	expireAccess(t, ctl)
	since = lastSeq(t, ctl)
	if a := p.get("/api/me", cookie); a.Status != 200 {
		t.Fatalf("request after the second expiry: %d", a.Status)
	}
	refreshes = byRoute(journal(t, ctl, since), control.RouteRefresh)
	if len(refreshes) != 1 || refreshes[0].Token != newRefresh || refreshes[0].Outcome != control.OutcomeOK {
		t.Fatalf("second refresh should present the rotated refresh token:\n%s", dumpJournal(t, refreshes))
	}
}

// TestSessionBoundSurvivesRefresh: the cookie's Max-Age stays bound to the
// login's 7 days, not restarted by each refresh.
func TestSessionBoundSurvivesRefresh(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	start := time.Now()
	var offset atomic.Int64
	p := startProxy(t, be.URL, func(c *Config) {
		c.now = func() time.Time { return start.Add(time.Duration(offset.Load())) }
	})
	cookie := p.login()
	offset.Store(int64(48 * time.Hour))
	expireAccess(t, ctl)
	a := p.get("/api/me", cookie)
	if a.Status != 200 {
		t.Fatalf("after expiry: %d", a.Status)
	}
	want := int((SessionLifetime - 48*time.Hour) / time.Second)
	if got := a.SessionCookie().MaxAge; got < want-5 || got > want {
		t.Errorf("rotated Max-Age %d, want about %d", got, want)
	}
	offset.Store(int64(SessionLifetime + time.Second))
	since := lastSeq(t, ctl)
	if b := p.get("/api/me", a.SessionCookie()); b.Status != 401 || !b.Cleared() {
		t.Errorf("past the session bound: %d cleared=%v", b.Status, b.Cleared())
	}
	if es := journal(t, ctl, since); len(es) != 0 {
		t.Errorf("an expired session reached the backend:\n%s", dumpJournal(t, es))
	}
}

// TestSingleRetry: a resource that keeps answering 401 gets one refresh and
// two calls, then the session is given up.
func TestSingleRetry(t *testing.T) {
	for _, tc := range []struct{ path, location string }{{"/api/me", ""}, {"/profile", "/login"}} {
		t.Run(tc.path, func(t *testing.T) {
			be, ctl := startBackend(t, fakebackend.Config{})
			p := startProxy(t, be.URL)
			cookie := p.login()
			queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 401, Count: 10})
			since := lastSeq(t, ctl)
			a := p.get(tc.path, cookie)
			es := journal(t, ctl, since)
			if n, m := len(byRoute(es, control.RouteRefresh)), len(byRoute(es, control.RouteMe)); n != 1 || m != 2 {
				t.Fatalf("want 1 refresh and 2 resource calls:\n%s", dumpJournal(t, es))
			}
			if tc.location == "" && (a.Status != 401 || !a.Cleared()) {
				t.Errorf("api: %d cleared=%v", a.Status, a.Cleared())
			}
			if tc.location != "" && (a.Status != http.StatusSeeOther || a.Header.Get("Location") != tc.location) {
				t.Errorf("page: %d Location=%q", a.Status, a.Header.Get("Location"))
			}
		})
	}
}

// TestNoRefreshOnOtherStatuses: 403, 404, 429 pass through, 5xx becomes
// 502, and none of them refreshes.
func TestNoRefreshOnOtherStatuses(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	cookie := p.login()
	for _, tc := range []struct{ backend, api, page int }{
		{403, 403, 403}, {404, 404, 404}, {429, 429, 429}, {500, 502, 502}, {503, 502, 502},
	} {
		for _, path := range []string{"/api/me", "/profile"} {
			t.Run(http.StatusText(tc.backend)+path, func(t *testing.T) {
				queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: tc.backend})
				since := lastSeq(t, ctl)
				a := p.get(path, cookie)
				want := tc.api
				if path == "/profile" {
					want = tc.page
				}
				if a.Status != want {
					t.Errorf("status %d, want %d", a.Status, want)
				}
				if a.SessionCookie() != nil {
					t.Errorf("session cookie touched: %v", a.SetCookieLines())
				}
				es := journal(t, ctl, since)
				if len(es) != 1 || es[0].Route != control.RouteMe {
					t.Errorf("want only the resource call:\n%s", dumpJournal(t, es))
				}
			})
		}
	}
}
