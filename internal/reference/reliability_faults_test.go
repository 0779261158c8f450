package reference

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// switchableBackend is a fake backend whose API listener the test can take
// down and bring back on the same address, with the store kept: the
// backend process going away in the middle of a refresh, then returning.
// It can also cut a refresh answer in the middle of its body.
type switchableBackend struct {
	t      testing.TB
	server *fakebackend.Server
	addr   string
	url    string
	ctl    *control.Client
	// controlTransport is ctl's; closeIdle ends its connections.
	controlTransport *http.Transport

	// downOnNextResource takes the listener down while the next resource
	// call is being answered (its 401 still reaches the proxy), so the
	// refresh that follows finds nobody listening.
	downOnNextResource atomic.Bool
	// cutNextRefresh answers the next refresh with a 200 whose body stops
	// in the middle, the connection closed under it.
	cutNextRefresh atomic.Bool

	mu      sync.Mutex
	ln      net.Listener
	http    *http.Server
	retired []*http.Server
}

func startSwitchableBackend(t testing.TB) *switchableBackend {
	t.Helper()
	b := &switchableBackend{t: t, server: fakebackend.MustNewServer(fakebackend.Config{})}
	controlSrv := httptest.NewServer(b.server.Control())
	transport := &http.Transport{}
	b.ctl = control.New(controlSrv.URL, &http.Client{Transport: transport, Timeout: requestDeadline})
	b.controlTransport = transport
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	b.addr = ln.Addr().String()
	b.url = "http://" + b.addr
	b.serve(ln)
	t.Cleanup(func() {
		b.mu.Lock()
		servers := append(b.retired, b.http)
		b.mu.Unlock()
		b.server.Close() // releases held delays first
		for _, s := range servers {
			if s == nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.Shutdown(ctx); err != nil {
				_ = s.Close()
			}
			cancel()
		}
		transport.CloseIdleConnections()
		controlSrv.Close()
	})
	return b
}

func (b *switchableBackend) serve(ln net.Listener) {
	api := b.server.API()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/user/me" && b.downOnNextResource.CompareAndSwap(true, false) {
			b.down()
		}
		if r.URL.Path == "/auth/refresh" && b.cutNextRefresh.CompareAndSwap(true, false) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "400")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"success":true,"data":{"authorization":{"access_token":"`))
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler) // net/http closes the connection mid-body
		}
		api.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	b.mu.Lock()
	b.ln, b.http = ln, srv
	b.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down stops accepting connections and closes the idle ones, as a backend
// process that went away; a request being answered still gets its answer.
func (b *switchableBackend) down() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.ln.Close()
	b.http.SetKeepAlivesEnabled(false)
	b.retired = append(b.retired, b.http)
	b.http = nil
}

// up listens again on the same address with the same store.
func (b *switchableBackend) up() {
	b.t.Helper()
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		b.t.Fatalf("listening again on %s: %v", b.addr, err)
	}
	b.serve(ln)
}

// waitForNoLeakedGoroutines polls until no goroutine but those running at
// the snapshot is left (goleak.Find), or fails after a generous bound: a
// loaded machine may take a while to wind connections down, a stuck
// goroutine never does.
func waitForNoLeakedGoroutines(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	var err error
	if !eventually(15*time.Second, 50*time.Millisecond, func() bool { err = goleak.Find(opts...); return err == nil }) {
		t.Errorf("goroutines outlived the fault:\n%v", err)
	}
}

// eventually checks cond every interval until it holds or timeout passes,
// and reports whether it held: Gomega's Eventually for plain tests, for
// things that settle on their own (connections winding down, a journal
// entry of a request whose client already left).
func eventually(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
}

// TestReliabilityFaults: P6 and the soak's fault list, one table. For each
// fault during a refresh: the client gets 502 or 503 with the session
// cookie untouched, the refresh token stays active, no goroutine is left
// behind once the connections are closed, and after the backend recovers
// the same cookie works again with one refresh and without a new login.
func TestReliabilityFaults(t *testing.T) {
	const proxyTimeout = 500 * time.Millisecond
	cases := []struct {
		name string
		// inject arms the fault for the next refresh.
		inject func(t *testing.T, b *switchableBackend)
		// recover brings the backend back, if the fault needs more than
		// being consumed.
		recover func(t *testing.T, b *switchableBackend)
		// failures is how many requests meet the fault; want their status.
		failures int
		want     int
		// journaled says the failed refresh attempts reach the journal.
		journaled bool
	}{
		{
			name:     "backend down during refresh",
			inject:   func(t *testing.T, b *switchableBackend) { b.downOnNextResource.Store(true) },
			recover:  func(t *testing.T, b *switchableBackend) { b.up() },
			failures: 1, want: http.StatusBadGateway,
		},
		{
			name: "refresh slower than the proxy's timeout",
			inject: func(t *testing.T, b *switchableBackend) {
				queueFault(t, b.ctl, control.Fault{Route: control.RouteRefresh, Kind: control.FaultDelay, Delay: control.Duration(time.Minute)})
			},
			failures: 1, want: http.StatusBadGateway, journaled: true,
		},
		{
			name: "connection dropped before the answer",
			inject: func(t *testing.T, b *switchableBackend) {
				queueFault(t, b.ctl, control.Fault{Route: control.RouteRefresh, Kind: control.FaultDrop})
			},
			failures: 1, want: http.StatusBadGateway, journaled: true,
		},
		{
			name:     "connection dropped mid-body",
			inject:   func(t *testing.T, b *switchableBackend) { b.cutNextRefresh.Store(true) },
			failures: 1, want: http.StatusBadGateway,
		},
		{
			name: "malformed 200",
			inject: func(t *testing.T, b *switchableBackend) {
				queueFault(t, b.ctl, control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 200, Body: control.BodyMissingField})
			},
			failures: 1, want: http.StatusBadGateway, journaled: true,
		},
		{
			name: "429 storm",
			inject: func(t *testing.T, b *switchableBackend) {
				queueFault(t, b.ctl, control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 429, Count: 6})
			},
			failures: 6, want: http.StatusServiceUnavailable, journaled: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := startSwitchableBackend(t)
			p := startProxy(t, b.url, func(c *Config) { c.BackendTimeout = proxyTimeout })
			cookie := p.login()
			if a := p.get("/api/me", cookie); a.Status != http.StatusOK {
				t.Fatalf("before the fault: %d %s", a.Status, a.Body)
			}
			snapshot := goleak.IgnoreCurrent()
			refresh := lastIssued(t, b.ctl, control.Refresh)
			expireAccess(t, b.ctl)
			since := lastSeq(t, b.ctl)

			tc.inject(t, b)
			var failed []*answer
			for i := 0; i < tc.failures; i++ {
				a := p.get("/api/me", cookie)
				failed = append(failed, a)
				if a.Status != tc.want {
					t.Errorf("request %d during the fault: %d, want %d: %.300s", i+1, a.Status, tc.want, a.Body)
				}
				if lines := a.SetCookieLines(); len(lines) != 0 {
					t.Errorf("request %d during the fault touched the session cookie: %v", i+1, lines)
				}
				if !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") || !strings.Contains(a.Body, `"success":false`) {
					t.Errorf("request %d during the fault: not a JSON failure: %q %.200s", i+1, a.Header.Get("Content-Type"), a.Body)
				}
				if tc.want == http.StatusServiceUnavailable && a.Header.Get("Retry-After") == "" {
					t.Errorf("request %d: a 503 for a rate-limited refresh without Retry-After", i+1)
				}
			}
			if tc.recover != nil {
				tc.recover(t, b)
			}
			// A request the proxy gave up on (a delay past its timeout) is
			// journaled when the backend notices the client left, which can
			// be after the proxy answered: wait for the entries, boundedly.
			during := journal(t, b.ctl, since)
			attempts := byRoute(during, control.RouteRefresh)
			if tc.journaled {
				eventually(5*time.Second, 20*time.Millisecond, func() bool {
					during = journal(t, b.ctl, since)
					attempts = byRoute(during, control.RouteRefresh)
					return len(attempts) >= tc.failures
				})
			}
			if tc.journaled && len(attempts) != tc.failures {
				t.Errorf("want %d refresh attempts during the fault, one per request:\n%s", tc.failures, dumpJournal(t, during))
			}
			for _, e := range attempts {
				if e.Outcome != control.OutcomeFault {
					t.Errorf("a refresh attempt during the fault was not the fault:\n%s", dumpJournal(t, during))
				}
			}
			if st := tokenState(t, b.ctl, refresh); st != control.StateActive {
				t.Fatalf("the session's refresh token is %s after the fault, want active", st)
			}

			since = lastSeq(t, b.ctl)
			a := p.get("/api/me", cookie)
			if a.Status != http.StatusOK || !strings.Contains(a.Body, aliceFirstName) {
				t.Fatalf("after recovery, the same cookie: %d %.300s\n%s", a.Status, a.Body, dumpJournal(t, journal(t, b.ctl, since)))
			}
			after := journal(t, b.ctl, since)
			if logins := byRoute(after, control.RouteLogin); len(logins) != 0 {
				t.Errorf("recovery needed a new login:\n%s", dumpJournal(t, after))
			}
			refreshes := byRoute(after, control.RouteRefresh)
			if len(refreshes) != 1 || refreshes[0].Token != refresh || refreshes[0].Outcome != control.OutcomeOK {
				t.Errorf("recovery should refresh once with the kept token:\n%s", dumpJournal(t, after))
			}
			rotated := a.SessionCookie()
			if rotated == nil || rotated.Value == "" || rotated.Value == cookie.Value {
				t.Fatalf("recovery did not send the rotated session: %v", a.SetCookieLines())
			}
			since = lastSeq(t, b.ctl)
			if next := p.get("/api/me", rotated); next.Status != http.StatusOK || len(byRoute(journal(t, b.ctl, since), control.RouteRefresh)) != 0 {
				t.Errorf("the rotated session: %d, or it refreshed again", next.Status)
			}
			assertNoTokenLeak(t, b.ctl, append(failed, a)...)

			// Whatever the fault started (a held backend request, a shared
			// refresh, a dial) has ended once the connections are closed.
			p.client.CloseIdleConnections()
			p.srv.Close()
			b.controlTransport.CloseIdleConnections()
			// The backend's accept loop restarted by recover is not a leak.
			waitForNoLeakedGoroutines(t, snapshot, goleak.IgnoreAnyFunction("github.com/refreshspec/refreshspec/internal/reference.(*switchableBackend).serve.func2"))
		})
	}
}

// TestBackendDownForLogin: the backend gone before anything happens, for
// every route that calls it: 502 for the ones that need it, never a 5xx
// otherwise, and login sets no cookie.
func TestBackendDownForLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, closed, func(c *Config) { c.BackendTimeout = 500 * time.Millisecond })
	a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
	if a.Status != http.StatusBadGateway || len(a.SetCookieLines()) != 0 {
		t.Errorf("login with the backend down: %d %v", a.Status, a.SetCookieLines())
	}
	for _, path := range []string{"/login", "/api/me", "/profile"} {
		if a := p.get(path, nil); a.Status >= 500 {
			t.Errorf("GET %s without a session and the backend down: %d", path, a.Status)
		}
	}
	if a := p.do(request{method: http.MethodPost, path: "/logout"}); a.Status != http.StatusOK {
		t.Errorf("logout with the backend down: %d", a.Status)
	}
}
