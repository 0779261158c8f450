package fakebackend_test

import (
	"sync"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// refreshAtOnce presents one refresh token from n clients at the same time.
func refreshAtOnce(b *backend, token string, n int) []answer {
	var wg sync.WaitGroup
	answers := make([]answer, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = b.refresh(token)
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// Concurrent refreshes of one token, as a proxy without single-flight
// sends them: one rotation wins, the others are reuse and revoke the family.
func TestConcurrentRefreshesOfOneTokenAreReuse(t *testing.T) {
	b := startBackend(t, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}})
	p := b.loginAlice()
	ok := 0
	for _, a := range refreshAtOnce(b, p.refresh, 8) {
		switch a.status {
		case 200:
			ok++
		case 401:
			expectStatus(t, a, 401, "invalid_grant")
		default:
			t.Errorf("status %d: %s", a.status, a.raw)
		}
	}
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded, want exactly 1", ok)
	}
	cs, _ := b.ctl.Counts(bg)
	if cs[control.RouteRefresh][control.OutcomeOK] != 1 || cs[control.RouteRefresh][control.OutcomeReuse] < 1 {
		t.Errorf("counts: %v", cs[control.RouteRefresh])
	}
	if st, _ := b.ctl.Stats(bg); st.LiveFamilies != 0 {
		t.Errorf("the family survived the reuse: %+v", st)
	}
}

// With a grace window every concurrent caller gets the same successor.
func TestConcurrentRefreshesInsideTheGraceWindowShareTheSuccessor(t *testing.T) {
	b := startBackend(t, fakebackend.Config{GraceWindow: time.Minute, RateLimit: &control.RateLimit{Enabled: false}})
	p := b.loginAlice()
	var first pair
	for i, a := range refreshAtOnce(b, p.refresh, 8) {
		expectStatus(t, a, 200, "")
		got := pair{a.str("data.authorization.access_token"), a.str("data.authorization.refresh_token")}
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("caller %d got %+v, caller 0 %+v", i, got, first)
		}
	}
	cs, _ := b.ctl.Counts(bg)
	if cs[control.RouteRefresh][control.OutcomeOK] != 1 || cs[control.RouteRefresh][control.OutcomeGrace] != 7 {
		t.Errorf("counts: %v", cs[control.RouteRefresh])
	}
	b.mustRefresh(first.refresh)
}
