package fakebackend_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

var bg = context.Background()

func TestHealthz(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	if err := b.ctl.Healthy(bg); err != nil {
		t.Fatal(err)
	}
	if err := b.run.Control.Healthy(bg); err != nil {
		t.Fatalf("Running.Control: %v", err)
	}
}

func TestResetForgetsEverythingAndRestoresStartupSettings(t *testing.T) {
	b := startBackend(t, fakebackend.Config{AccessTTL: time.Minute, Breaks: []fakebackend.Break{fakebackend.BreakNoCacheControl}})
	p := b.loginAlice()
	b.patch(control.SettingsPatch{AccessTTL: ptr(control.Duration(time.Hour))})
	if err := fakebackend.SetBreaks(bg, b.ctl, nil); err != nil {
		t.Fatal(err)
	}
	b.advance(time.Hour)
	b.queue(control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 503})
	if err := b.ctl.Reset(bg); err != nil {
		t.Fatal(err)
	}
	if es := b.journal(); len(es) != 0 {
		t.Errorf("journal after reset: %d entries", len(es))
	}
	if ts, _ := b.ctl.Tokens(bg); len(ts) != 0 {
		t.Errorf("tokens after reset: %d", len(ts))
	}
	if cs, _ := b.ctl.Counts(bg); len(cs) != 0 {
		t.Errorf("counts after reset: %v", cs)
	}
	if k, _ := b.ctl.Clock(bg); k.Offset != 0 {
		t.Errorf("clock offset after reset: %s", k.Offset.Std())
	}
	s, _ := b.ctl.Settings(bg)
	breaks, err := fakebackend.Breaks(bg, b.ctl)
	if s.AccessTTL.Std() != time.Minute || err != nil || len(breaks) != 1 || breaks[0] != fakebackend.BreakNoCacheControl {
		t.Errorf("settings after reset: %+v, breaks %v (%v)", s, breaks, err)
	}
	expectStatus(t, b.me(p.access), 401, "invalid_token") // the fault is gone, and so is the token
	p = b.loginAlice()
	expectStatus(t, b.me(p.access), 200, "")
	if e := b.journal(); len(e) != 3 || e[0].Seq != 1 || e[0].Family != "" || len(e[1].Issued) != 2 || e[1].Issued[0].Family != "f-1" {
		t.Errorf("after reset the journal and families start again: %+v", e)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSettingsPatch(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	s, err := b.ctl.Settings(bg)
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessTTL.Std() != 15*time.Minute || s.RefreshTTL.Std() != 7*24*time.Hour || s.GraceWindow != 0 || !s.RateLimit.Enabled {
		t.Fatalf("defaults: %+v", s)
	}
	rl := control.RateLimit{Enabled: false, PerFamily: 2, PerAddress: 3, Window: control.Duration(time.Second)}
	s = b.patch(control.SettingsPatch{
		AccessTTL: ptr(control.Duration(2 * time.Minute)), RefreshTTL: ptr(control.Duration(time.Hour)),
		GraceWindow: ptr(control.Duration(5 * time.Second)), RateLimit: &rl,
	})
	if s.AccessTTL.Std() != 2*time.Minute || s.RefreshTTL.Std() != time.Hour || s.GraceWindow.Std() != 5*time.Second || s.RateLimit != rl {
		t.Fatalf("after patch: %+v", s)
	}
	// A patch of the breaks alone leaves the rest alone.
	if err := fakebackend.SetBreaks(bg, b.ctl, []fakebackend.Break{fakebackend.BreakWrongEnvelope}); err != nil {
		t.Fatal(err)
	}
	s, _ = b.ctl.Settings(bg)
	if breaks, err := fakebackend.Breaks(bg, b.ctl); s.AccessTTL.Std() != 2*time.Minute || err != nil || len(breaks) != 1 || breaks[0] != fakebackend.BreakWrongEnvelope {
		t.Fatalf("after a patch of the breaks: %+v, breaks %v (%v)", s, breaks, err)
	}
	if err := fakebackend.SetBreaks(bg, b.ctl, nil); err != nil {
		t.Fatal(err)
	}
	// New TTLs apply to tokens issued from then on.
	if a := b.login(aliceEmail, alicePassword); a.get("data.authorization.expires_in") != float64(120) {
		t.Errorf("expires_in = %v", a.get("data.authorization.expires_in"))
	}
	for name, p := range map[string]control.SettingsPatch{
		"negative ttl":   {AccessTTL: ptr(control.Duration(-time.Second))},
		"zero refresh":   {RefreshTTL: ptr(control.Duration(0))},
		"negative grace": {GraceWindow: ptr(control.Duration(-time.Second))},
		"bad rate":       {RateLimit: &control.RateLimit{Enabled: true}},
	} {
		if _, err := b.ctl.UpdateSettings(bg, p); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: err = %v, want a 400", name, err)
		}
	}
	if err := fakebackend.SetBreaks(bg, b.ctl, []fakebackend.Break{"nope"}); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "unknown break") {
		t.Errorf("unknown break: err = %v, want a 400 naming it", err)
	}
}

func TestClockAdvances(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	before, err := b.ctl.Clock(bg)
	if err != nil {
		t.Fatal(err)
	}
	after, err := b.ctl.AdvanceClock(bg, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if after.Offset.Std() != 48*time.Hour || after.Now.Sub(before.Now) < 48*time.Hour {
		t.Errorf("clock %+v -> %+v", before, after)
	}
	if _, err := b.ctl.AdvanceClock(bg, -time.Second); err == nil {
		t.Error("the clock went back")
	}
	b.loginAlice()
	if e := b.last(); !e.Time.After(before.Now.Add(47*time.Hour)) || !e.Issued[0].IssuedAt.After(before.Now.Add(47*time.Hour)) {
		t.Errorf("the journal and tokens do not use the fake clock: %v", e.Time)
	}
}

func TestExpire(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p1 := b.loginAlice()
	p2 := b.loginAlice()
	n, err := b.ctl.Expire(bg, "f-1", control.Access)
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	expectStatus(t, b.me(p1.access), 401, "invalid_token")
	expectStatus(t, b.me(p2.access), 200, "")
	p1 = b.mustRefresh(p1.refresh)
	expectStatus(t, b.me(p1.access), 200, "")

	if n, err = b.ctl.Expire(bg, "", control.Refresh); err != nil || n != 2 {
		t.Fatalf("Expire all refresh = %d, %v", n, err)
	}
	expectStatus(t, b.refresh(p1.refresh), 401, "invalid_grant")
	expectStatus(t, b.refresh(p2.refresh), 401, "invalid_grant")
	expectStatus(t, b.me(p2.access), 200, "") // access tokens live on

	if n, err = b.ctl.Expire(bg, "", control.Access); err != nil || n != 2 {
		t.Fatalf("Expire all access = %d, %v", n, err)
	}
	expectStatus(t, b.me(p2.access), 401, "invalid_token")
	ts, _ := b.ctl.Tokens(bg)
	for _, tok := range ts {
		if tok.State != control.StateExpired && tok.State != control.StateUsed {
			t.Errorf("token %s gen %d is %s", tok.Kind, tok.Generation, tok.State)
		}
	}
	if _, err := b.ctl.Expire(bg, "f-99", control.Access); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown family: %v", err)
	}
	if _, err := b.ctl.Expire(bg, "", "both"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("bad kind: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	other := b.loginAlice()
	n, err := b.ctl.Revoke(bg, "f-1")
	if err != nil || n != 2 {
		t.Fatalf("Revoke = %d, %v", n, err)
	}
	expectStatus(t, b.me(p.access), 401, "invalid_token")
	expectStatus(t, b.refresh(p.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeInvalidGrant)
	expectStatus(t, b.me(other.access), 200, "")
	if _, err := b.ctl.Revoke(bg, "f-99"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown family: %v", err)
	}
	if _, err := b.ctl.Revoke(bg, ""); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("no family: %v", err)
	}
}

func TestJournalSince(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	b.me(p.access)
	b.me("")
	all := b.journal()
	if len(all) != 3 || all[0].Seq != 1 || all[2].Seq != 3 {
		t.Fatalf("journal: %+v", all)
	}
	for since, want := range map[int]int{0: 3, 1: 2, 3: 0, 100: 0} {
		es, err := b.ctl.Journal(bg, since)
		if err != nil || len(es) != want || (want > 0 && es[0].Seq != since+1) {
			t.Errorf("since %d: %d entries, %v", since, len(es), err)
		}
	}
	for _, q := range []string{"-1", "x"} {
		resp, err := b.http.Get(b.run.ControlURL + control.PathJournal + "?since=" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("since=%s: %d", q, resp.StatusCode)
		}
	}
}

func TestTokensAndTheirStates(t *testing.T) {
	b := startBackend(t, fakebackend.Config{AccessTTL: time.Minute})
	p := b.loginAlice()
	next := b.mustRefresh(p.refresh)
	b.advance(time.Minute)
	ts, err := b.ctl.Tokens(bg)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		value string
		kind  control.TokenKind
		gen   int
		state control.TokenState
	}{
		{p.access, control.Access, 0, control.StateExpired},
		{p.refresh, control.Refresh, 0, control.StateUsed},
		{next.access, control.Access, 1, control.StateExpired},
		{next.refresh, control.Refresh, 1, control.StateActive},
	}
	if len(ts) != len(want) {
		t.Fatalf("%d tokens, want %d", len(ts), len(want))
	}
	for i, w := range want {
		got := ts[i]
		if got.Value != w.value || got.Kind != w.kind || got.Generation != w.gen || got.State != w.state || got.Family != "f-1" || got.UserID != "u-1" {
			t.Errorf("token %d = %+v, want %+v", i, got, w)
		}
	}
	if !ts[1].ExpiresAt.Equal(ts[1].IssuedAt.Add(7 * 24 * time.Hour)) {
		t.Errorf("refresh token life: %s", ts[1].ExpiresAt.Sub(ts[1].IssuedAt))
	}
}

func TestCountsAndStats(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	b.login(aliceEmail, "no")
	b.me(p.access)
	b.me(p.access)
	b.me("")
	cs, err := b.ctl.Counts(bg)
	if err != nil {
		t.Fatal(err)
	}
	if cs[control.RouteLogin][control.OutcomeOK] != 1 || cs[control.RouteLogin][control.OutcomeInvalidCredentials] != 1 ||
		cs[control.RouteMe][control.OutcomeOK] != 2 || cs.Total(control.RouteMe) != 3 || cs.Total(control.RouteRefresh) != 0 {
		t.Errorf("counts: %v", cs)
	}
	st, err := b.ctl.Stats(bg)
	if err != nil {
		t.Fatal(err)
	}
	if st != (control.Stats{Families: 1, LiveFamilies: 1, Tokens: 2, JournalEntries: 5}) {
		t.Errorf("stats: %+v", st)
	}
}

func TestControlErrorsAreJSON(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	cases := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/control/nope", "", 404},
		{"GET", "/", "", 404},
		{"GET", control.PathReset, "", 405},
		{"DELETE", control.PathSettings, "", 405},
		{"PATCH", control.PathSettings, "{", 400},
		{"PATCH", control.PathSettings, `{"acess_ttl":"1m"}`, 400},
		{"PATCH", control.PathSettings, "", 400},
		{"POST", control.PathAdvance, `{"by":"soon"}`, 400},
		{"POST", control.PathFaults, `{"route":"GET /nope","kind":"drop"}`, 400},
		{"POST", control.PathFaults, `{"route":"GET /api/user/me","kind":"explode"}`, 400},
		{"POST", control.PathFaults, `{"route":"GET /api/user/me","kind":"status","status":99}`, 400},
		{"POST", control.PathFaults, `{"route":"GET /api/user/me","kind":"status","body":"xml"}`, 400},
		{"POST", control.PathFaults, `{"route":"GET /api/user/me","kind":"delay"}`, 400},
		{"POST", control.PathFaults, `{"route":"GET /api/user/me","kind":"drop","count":-1}`, 400},
		{"POST", control.PathReset, `{"x":1}`, 400},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, b.run.ControlURL+c.path, strings.NewReader(c.body))
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e control.Error
		if resp.StatusCode != c.status || json.Unmarshal(raw, &e) != nil || e.Code == "" || e.Message == "" || e.Success {
			t.Errorf("%s %s %s: %d %s, want %d and a control.Error", c.method, c.path, c.body, resp.StatusCode, raw, c.status)
		}
	}
}

func TestFaultStatusBodies(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	bearer := []string{"Authorization", "Bearer " + p.access}
	refreshBody := jsonBody(map[string]string{"refresh_token": p.refresh})
	cases := []struct {
		name        string
		fault       control.Fault
		method      string
		path        string
		body        string
		header      []string
		status      int
		contentType string
		raw         string // exact body, when fixed
		code        string // error code of a JSON failure
		extraHeader [2]string
	}{
		{name: "refresh 500 json", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 500},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 500, contentType: "application/json", code: "server_error"},
		{name: "refresh default status", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 500, contentType: "application/json", code: "server_error"},
		{name: "refresh 401 json", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 401},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 401, contentType: "application/json", code: "invalid_grant"},
		{name: "refresh 400 json", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 400},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 400, contentType: "application/json", code: "invalid_grant"},
		{name: "refresh 429 json", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 429},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 429, contentType: "application/json", code: "rate_limited", extraHeader: [2]string{"Retry-After", "1"}},
		{name: "me 401 json", fault: control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 401},
			method: "GET", path: "/api/user/me", header: bearer, status: 401, contentType: "application/json", code: "invalid_token", extraHeader: [2]string{"WWW-Authenticate", `Bearer error="invalid_token"`}},
		{name: "profile 403 json", fault: control.Fault{Route: control.RouteProfile, Kind: control.FaultStatus, Status: 403},
			method: "PATCH", path: "/api/user/profile", body: `{}`, header: bearer, status: 403, contentType: "application/json", code: "server_error"},
		{name: "login 401 json", fault: control.Fault{Route: control.RouteLogin, Kind: control.FaultStatus, Status: 401},
			method: "POST", path: "/auth/login", body: `{"email":"alice@example.com","password":"correct horse"}`, status: 401, contentType: "application/json", code: "invalid_credentials"},
		{name: "logout 502 json", fault: control.Fault{Route: control.RouteLogout, Kind: control.FaultStatus, Status: 502},
			method: "POST", path: "/auth/logout", body: refreshBody, status: 502, contentType: "application/json", code: "server_error"},
		{name: "me 200 json", fault: control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 200},
			method: "GET", path: "/api/user/me", header: bearer, status: 200, contentType: "application/json", raw: `{"success":true,"data":{}}` + "\n"},
		{name: "refresh html", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 502, Body: control.BodyHTML},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 502, contentType: "text/html; charset=utf-8", raw: "<html><body><h1>Bad Gateway</h1></body></html>"},
		{name: "refresh truncated", fault: control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyTruncated},
			method: "POST", path: "/auth/refresh", body: refreshBody, status: 200, contentType: "application/json", raw: `{"success":true,"data":{"authorization":{"access_token":"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b.queue(c.fault)
			a := b.do(c.method, c.path, c.body, c.header...)
			if a.status != c.status || a.header.Get("Content-Type") != c.contentType {
				t.Fatalf("%d %q, want %d %q; %s", a.status, a.header.Get("Content-Type"), c.status, c.contentType, a.raw)
			}
			if c.raw != "" && string(a.raw) != c.raw {
				t.Errorf("body %q, want %q", a.raw, c.raw)
			}
			if c.code != "" {
				expectStatus(t, a, c.status, c.code)
				if a.str("message") != "injected fault" {
					t.Errorf("message = %q", a.str("message"))
				}
			}
			if c.extraHeader[0] != "" && a.header.Get(c.extraHeader[0]) != c.extraHeader[1] {
				t.Errorf("%s = %q, want %q", c.extraHeader[0], a.header.Get(c.extraHeader[0]), c.extraHeader[1])
			}
			e := b.last()
			if e.Route != c.fault.Route || e.Outcome != control.OutcomeFault || e.Fault != control.FaultStatus || e.Status != c.status {
				t.Errorf("journal: %+v", e)
			}
		})
	}
	// No fault touched the store: the login's refresh token is unused, its
	// family alive, and nothing but the faulted login was issued.
	if e := b.journal(); e[len(e)-1].Token != p.refresh || e[len(e)-1].Family != "f-1" {
		t.Errorf("a faulted refresh does not journal its token: %+v", e[len(e)-1])
	}
	b.mustRefresh(p.refresh)
	if ts, _ := b.ctl.Tokens(bg); len(ts) != 4 {
		t.Errorf("%d tokens; faults issued some", len(ts))
	}
}

func TestFaultMissingField(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	b.queue(control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyMissingField})
	a := b.refresh(p.refresh)
	expectStatus(t, a, 200, "")
	if a.get("data.authorization.access_token") != nil || a.str("data.authorization.refresh_token") == "" {
		t.Errorf("missing-field body: %s", a.raw)
	}
	b.mustRefresh(p.refresh) // not consumed
}

func TestFaultsAreServedPerCallInQueueOrder(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	b.queue(control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 503, Count: 2})
	b.queue(control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 500})
	b.queue(control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 504})
	var got []int
	for range 4 {
		got = append(got, b.me(p.access).status)
	}
	if want := []int{503, 503, 500, 200}; !equalInts(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if a := b.refresh(p.refresh); a.status != 504 {
		t.Errorf("refresh fault: %d", a.status)
	}
	b.queue(control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 503, Count: 5})
	if err := b.ctl.ClearFaults(bg); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, b.me(p.access), 200, "")
	cs, _ := b.ctl.Counts(bg)
	if cs[control.RouteMe][control.OutcomeFault] != 3 || cs[control.RouteRefresh][control.OutcomeFault] != 1 {
		t.Errorf("counts: %v", cs)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultDropClosesTheConnection(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	b.queue(control.Fault{Route: control.RouteRefresh, Kind: control.FaultDrop})
	resp, err := b.http.Post(b.run.URL+"/auth/refresh", "application/json", strings.NewReader(jsonBody(map[string]string{"refresh_token": p.refresh})))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d, want the connection closed", resp.StatusCode)
	}
	e := b.awaitEntry(func(e control.Entry) bool { return e.Route == control.RouteRefresh })
	if e.Outcome != control.OutcomeFault || e.Fault != control.FaultDrop || e.Status != 0 || e.Token != p.refresh {
		t.Errorf("journal: %+v", e)
	}
	b.mustRefresh(p.refresh)
}

func TestFaultDelayHoldsThenAnswers(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	const delay = 200 * time.Millisecond
	b.queue(control.Fault{Route: control.RouteMe, Kind: control.FaultDelay, Delay: control.Duration(delay)})
	start := time.Now()
	a := b.me(p.access)
	if took := time.Since(start); took < delay {
		t.Errorf("answered after %s, want at least %s", took, delay)
	}
	expectStatus(t, a, 200, "")
	e := b.last()
	if e.Outcome != control.OutcomeOK || e.Fault != control.FaultDelay || e.Status != 200 {
		t.Errorf("journal: %+v", e)
	}
}

func TestFaultDelayEndsWhenTheClientGoesAway(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	b.queue(control.Fault{Route: control.RouteRefresh, Kind: control.FaultDelay, Delay: control.Duration(time.Hour)})
	ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", b.run.URL+"/auth/refresh", strings.NewReader(jsonBody(map[string]string{"refresh_token": p.refresh})))
	_, err := b.http.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	// The server lets the request go and journals it, without consuming the token.
	e := b.awaitEntry(func(e control.Entry) bool { return e.Route == control.RouteRefresh })
	if e.Outcome != control.OutcomeFault || e.Fault != control.FaultDelay || e.Status != 0 {
		t.Errorf("journal: %+v", e)
	}
	b.mustRefresh(p.refresh)
}

// Closing the server releases a request held by a delay fault, so that a
// graceful shutdown does not wait for the whole delay.
func TestCloseReleasesDelayedRequests(t *testing.T) {
	run, err := fakebackend.Start(bg, fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Close(bg) }) // idempotent: a no-op after the Close below
	if err := run.Control.QueueFault(bg, control.Fault{Route: control.RouteMe, Kind: control.FaultDelay, Delay: control.Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	answered := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get(run.URL + "/api/user/me")
		if err != nil {
			answered <- -1
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	// Wait until the request is held.
	for deadline := time.Now().Add(5 * time.Second); run.Server.Held() == 0; <-time.After(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the delay")
		}
	}
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := run.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("Close took %s", took)
	}
	// Released, it is answered normally: no token, 401.
	if status := <-answered; status != http.StatusUnauthorized {
		t.Errorf("the held request got %d, want 401", status)
	}
}
