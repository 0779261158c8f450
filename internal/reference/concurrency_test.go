package reference

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// concurrently runs n requests at once (released together) and returns
// their answers in order.
func concurrently(n int, do func(i int) *answer) []*answer {
	answers := make([]*answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = do(i)
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// TestConcurrentRequestsShareOneRefresh: 50 requests of one session after
// expiry cause exactly one refresh, all get 200, and every one carries the
// same rotated cookie.
func TestConcurrentRequestsShareOneRefresh(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	cookie := p.login()
	expireAccess(t, ctl)
	since := lastSeq(t, ctl)

	const n = 50
	answers := concurrently(n, func(int) *answer { return p.get("/api/me", cookie) })

	es := journal(t, ctl, since)
	refreshes := byRoute(es, control.RouteRefresh)
	if len(refreshes) != 1 {
		t.Fatalf("%d refreshes for one session, want 1:\n%s", len(refreshes), dumpJournal(t, refreshes))
	}
	newAccess, _ := refreshIssued(t, refreshes[0])
	var first string
	for i, a := range answers {
		if a.Status != 200 {
			t.Errorf("request %d: %d %s", i, a.Status, a.Body)
			continue
		}
		lines := a.SetCookieLines()
		if len(lines) != 1 {
			t.Errorf("request %d: Set-Cookie %v, want the rotated session once", i, lines)
			continue
		}
		if first == "" {
			first = lines[0]
			if first == "" || a.SessionCookie().Value == cookie.Value {
				t.Fatalf("request %d did not rotate the session", i)
			}
		}
		// The cookie is sealed once for the whole shared refresh, so the
		// browser sees the very same line whichever request answers last.
		if lines[0] != first {
			t.Errorf("request %d carries another Set-Cookie than request 0", i)
		}
	}
	for _, e := range byRoute(es, control.RouteMe) {
		if e.Status == 200 && e.Token != newAccess {
			t.Errorf("a retry presented %.8s…, not the rotated access token", e.Token)
		}
	}
	if st := tokenState(t, ctl, newAccess); st != control.StateActive {
		t.Errorf("the rotated access token is %s", st)
	}
}

// sameSession says whether two cookie values open to the same session.
func sameSession(t testing.TB, p *proxy, a, b string) bool {
	t.Helper()
	open := func(v string) session {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: v})
		s, _, err := p.srv.store.open(r)
		if err != nil {
			t.Fatalf("opening a cookie the proxy set: %v", err)
		}
		return *s
	}
	sa, sb := open(a), open(b)
	return sa.Access == sb.Access && sa.Refresh == sb.Refresh && sa.RefreshExpiry == sb.RefreshExpiry
}

// TestLateRequestWithOldCookie: a request that left the browser with the
// old cookie and arrives after the refresh finished gets the same rotated
// tokens without presenting the used refresh token again.
func TestLateRequestWithOldCookie(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	old := p.login()
	expireAccess(t, ctl)
	since := lastSeq(t, ctl)
	first := p.get("/api/me", old)
	late := p.get("/api/me", old)
	if first.Status != 200 || late.Status != 200 {
		t.Fatalf("statuses %d, %d", first.Status, late.Status)
	}
	es := journal(t, ctl, since)
	if r := byRoute(es, control.RouteRefresh); len(r) != 1 {
		t.Fatalf("the late request refreshed again:\n%s", dumpJournal(t, es))
	}
	if late.SessionCookie() == nil || late.SetCookieLines()[0] != first.SetCookieLines()[0] {
		t.Errorf("the late request did not get the same rotated session")
	}
	for _, e := range es {
		if e.Outcome == control.OutcomeReuse {
			t.Errorf("the backend saw reuse: %+v", e)
		}
	}
}

// TestSessionsRefreshIndependently: P7.2. Two sessions expiring together
// refresh once each and keep their own tokens.
func TestSessionsRefreshIndependently(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	cookies := []*http.Cookie{p.login(), p.login()}
	expireAccess(t, ctl)
	since := lastSeq(t, ctl)
	answers := concurrently(20, func(i int) *answer { return p.get("/api/me", cookies[i%2]) })
	for i, a := range answers {
		if a.Status != 200 {
			t.Errorf("request %d: %d", i, a.Status)
		}
	}
	refreshes := byRoute(journal(t, ctl, since), control.RouteRefresh)
	if len(refreshes) != 2 || refreshes[0].Family == refreshes[1].Family {
		t.Fatalf("want one refresh per session:\n%s", dumpJournal(t, refreshes))
	}
	a0 := answers[0].SessionCookie().Value
	a1 := answers[1].SessionCookie().Value
	if sameSession(t, p, a0, a1) {
		t.Errorf("two sessions ended with the same tokens")
	}
}

// TestTwoInstancesNeedTheGraceWindow: the in-process lock cannot span
// instances; the backend's grace window is what makes concurrent requests
// through two instances sharing a secret succeed. Without the window the
// same traffic is reuse and revokes the family.
func TestTwoInstancesNeedTheGraceWindow(t *testing.T) {
	for _, tc := range []struct {
		name        string
		grace       time.Duration
		wantRevoked bool
	}{
		{"grace window on", 10 * time.Second, false},
		{"grace window off", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be, ctl := startBackend(t, fakebackend.Config{})
			ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
			defer cancel()
			grace := control.Duration(tc.grace)
			if _, err := ctl.UpdateSettings(ctx, control.SettingsPatch{GraceWindow: &grace}); err != nil {
				t.Fatalf("settings: %v", err)
			}
			instances := []*proxy{startProxy(t, be.URL), startProxy(t, be.URL)}
			cookie := instances[0].login()
			expireAccess(t, ctl)
			since := lastSeq(t, ctl)

			answers := concurrently(20, func(i int) *answer { return instances[i%2].get("/api/me", cookie) })
			failed := 0
			for _, a := range answers {
				if a.Status != 200 {
					failed++
				}
			}
			es := journal(t, ctl, since)
			revoked := false
			for _, e := range es {
				if e.Outcome == control.OutcomeReuse {
					revoked = true
				}
			}
			// With the window on, each instance refreshes once and shares it.
			// Without it, requests that come after an instance's refused
			// refresh try again (a refusal is not remembered) and meet the
			// revoked family too.
			if refreshes := byRoute(es, control.RouteRefresh); (!tc.wantRevoked && len(refreshes) != 2) || len(refreshes) < 2 {
				t.Errorf("want one refresh per instance:\n%s", dumpJournal(t, refreshes))
			}
			if revoked != tc.wantRevoked {
				t.Errorf("family revoked = %v, want %v; %d of 20 failed\n%s", revoked, tc.wantRevoked, failed, dumpJournal(t, es))
			}
			if !tc.wantRevoked && failed != 0 {
				t.Errorf("%d of 20 requests failed with the grace window on", failed)
			}
			if tc.wantRevoked && failed == 0 {
				t.Errorf("no request failed although the family was revoked")
			}
		})
	}
}
