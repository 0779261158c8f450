package fakebackend_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// The store does not grow without bound: revoked and expired families go,
// and so do expired tokens of live families other than their newest pair.
func TestSweepDropsDeadFamilies(t *testing.T) {
	b := startBackend(t, fakebackend.Config{AccessTTL: time.Minute, RefreshTTL: time.Hour, RateLimit: &control.RateLimit{Enabled: false}})
	var live pair
	for i := range 50 {
		p := b.loginAlice()
		switch i % 3 {
		case 0:
			b.do("POST", "/auth/logout", jsonBody(map[string]string{"refresh_token": p.refresh}))
		case 1:
			next := b.mustRefresh(p.refresh)
			b.refresh(p.refresh) // reuse: revoked
			_ = next
		default:
			live = p
		}
	}
	st, err := b.ctl.Stats(bg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Families != 50 || st.LiveFamilies != 16 {
		t.Fatalf("before the sweep: %+v", st)
	}
	st, err = b.ctl.Sweep(bg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Families != 16 || st.LiveFamilies != 16 || st.Tokens != 32 {
		t.Fatalf("after the sweep: %+v", st)
	}
	// Rotations leave expired access tokens behind, which go; the used
	// refresh tokens stay until they expire, for reuse detection.
	tok := live.refresh
	var old []string
	for range 5 {
		p := b.mustRefresh(tok)
		old = append(old, p.access)
		tok = p.refresh
	}
	b.advance(2 * time.Minute)
	next := b.mustRefresh(tok)
	st, _ = b.ctl.Sweep(bg)
	if want := 30 + 6 + 2; st.Tokens != want {
		t.Errorf("after sweeping a rotated family: %d tokens, want %d", st.Tokens, want)
	}
	expectStatus(t, b.me(next.access), 200, "")
	expectStatus(t, b.me(old[0]), 401, "invalid_token") // swept: unknown, rejected like any dead token
	if e := b.last(); e.Family != "" {
		t.Errorf("a swept token still has a family: %+v", e)
	}
	expectStatus(t, b.refresh(tok), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)

	// When every refresh token has expired (or the family is revoked), every family goes.
	b.advance(2 * time.Hour)
	st, _ = b.ctl.Sweep(bg)
	if st.Families != 0 || st.Tokens != 0 {
		t.Errorf("after expiry: %+v", st)
	}
	if ts, _ := b.ctl.Tokens(bg); len(ts) != 0 {
		t.Errorf("%d tokens listed after the sweep", len(ts))
	}
}

// The background sweeper works on its own and stops with Close (goleak in
// TestMain checks that it stopped).
func TestBackgroundSweeper(t *testing.T) {
	s, err := fakebackend.NewServerSweepingEvery(fakebackend.Config{}, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	api, ctl := s.API(), s.Control()
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/login", strings.NewReader(`{"email":"alice@example.com","password":"correct horse"}`)))
	if rec.Code != 200 {
		t.Fatalf("login: %d", rec.Code)
	}
	stats := func() string {
		rec := httptest.NewRecorder()
		ctl.ServeHTTP(rec, httptest.NewRequest("GET", control.PathStats, nil))
		return rec.Body.String()
	}
	if !strings.Contains(stats(), `"families":1`) {
		t.Fatalf("stats: %s", stats())
	}
	rec = httptest.NewRecorder()
	ctl.ServeHTTP(rec, httptest.NewRequest("POST", control.PathAdvance, strings.NewReader(`{"by":"200h"}`)))
	if rec.Code != 200 {
		t.Fatalf("advance: %d", rec.Code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stats(), `"families":0`) {
		if time.Now().After(deadline) {
			t.Fatalf("the sweeper never swept: %s", stats())
		}
		<-time.After(5 * time.Millisecond)
	}
	s.Close() // twice is fine
}

func TestJournalIsCapped(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	b.run.Server.SetJournalCaps(10, 1<<20)
	for range 25 {
		b.me("")
	}
	es := b.journal()
	if len(es) != 10 || es[0].Seq != 16 || es[9].Seq != 25 {
		t.Fatalf("journal: %d entries from seq %d", len(es), es[0].Seq)
	}
	if es, _ := b.ctl.Journal(bg, 20); len(es) != 5 || es[0].Seq != 21 {
		t.Errorf("since 20: %d entries", len(es))
	}
	if es, _ := b.ctl.Journal(bg, 3); len(es) != 10 {
		t.Errorf("since a dropped seq: %d entries", len(es))
	}
	if cs, _ := b.ctl.Counts(bg); cs.Total(control.RouteMe) != 25 {
		t.Errorf("counts are not capped: %v", cs)
	}
	// The bodies are bounded too.
	b.run.Server.SetJournalCaps(1000, 100<<10)
	body := `{"refresh_token":"` + strings.Repeat("x", 60<<10) + `"}`
	for range 5 {
		b.do("POST", "/auth/refresh", body)
	}
	if st, _ := b.ctl.Stats(bg); st.JournalEntries > 12 {
		t.Errorf("%d entries kept, bodies over the cap", st.JournalEntries)
	}
}
