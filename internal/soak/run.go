package soak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// Config shapes one soak. Zero values take the defaults in brackets.
type Config struct {
	Duration       time.Duration // how long traffic runs [60s]
	Sessions       int           // browsers, one user each [200]
	Workers        int           // concurrent clients [16]
	Seed           uint64        // of the random choices [the time]
	BackendTimeout time.Duration // the proxy's BACKEND_TIMEOUT [3s]
	// Mean intervals between chaos events.
	FaultEvery   time.Duration // one fault queued [100ms]
	ExpireEvery  time.Duration // one family's access token expired [20ms]
	AdvanceEvery time.Duration // the backend clock moved past every access token [10s]
	RevokeEvery  time.Duration // one family revoked on purpose [5s]
	// Proxy starts the proxy under soak [InProcess()].
	Proxy ProxyStarter
	// Progress receives a line every few seconds [discarded].
	Progress io.Writer
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Duration, 60*time.Second)
	def(&c.BackendTimeout, 3*time.Second)
	def(&c.FaultEvery, 100*time.Millisecond)
	def(&c.ExpireEvery, 20*time.Millisecond)
	def(&c.AdvanceEvery, 10*time.Second)
	def(&c.RevokeEvery, 5*time.Second)
	if c.Sessions <= 0 {
		c.Sessions = 200
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Workers > c.Sessions {
		c.Workers = c.Sessions
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Proxy == nil {
		c.Proxy = InProcess()
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// expireStreams is how many goroutines expire families.
const expireStreams = 4

// soakSecret seals the proxy's sessions during a soak.
const soakSecret = "refreshsoak-session-secret-0123456789-abcdef"

// faultMenu is what the chaos draws from: every failure of P6 on refresh,
// and resource failures that pass through as 502 or 429.
func faultMenu(backendTimeout time.Duration) []struct {
	name  string
	fault control.Fault
} {
	refresh, me := control.RouteRefresh, control.RouteMe
	return []struct {
		name  string
		fault control.Fault
	}{
		{"refresh 500", control.Fault{Route: refresh, Kind: control.FaultStatus, Status: 500}},
		{"refresh 503 html", control.Fault{Route: refresh, Kind: control.FaultStatus, Status: 503, Body: control.BodyHTML}},
		{"refresh drop", control.Fault{Route: refresh, Kind: control.FaultDrop}},
		{"refresh delay past timeout", control.Fault{Route: refresh, Kind: control.FaultDelay, Delay: control.Duration(2 * backendTimeout)}},
		{"refresh 429", control.Fault{Route: refresh, Kind: control.FaultStatus, Status: 429}},
		{"refresh 429 storm", control.Fault{Route: refresh, Kind: control.FaultStatus, Status: 429, Count: 5}},
		{"refresh malformed 200", control.Fault{Route: refresh, Kind: control.FaultStatus, Status: 200, Body: control.BodyMissingField}},
		{"refresh truncated 200", control.Fault{Route: refresh, Kind: control.FaultStatus, Body: control.BodyTruncated}},
		{"resource 500", control.Fault{Route: me, Kind: control.FaultStatus, Status: 500}},
		{"resource drop", control.Fault{Route: me, Kind: control.FaultDrop}},
		{"resource 429", control.Fault{Route: me, Kind: control.FaultStatus, Status: 429}},
	}
}

// lockedBuffer collects the proxy's log from its writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// soaker is one soak in progress.
type soaker struct {
	cfg       Config
	ctl       *control.Client
	ledger    *ledger
	client    *client
	transport *http.Transport // client's, whose idle connections Run closes
	n         counters
	sessions  []*session
	// world is held shared by every action and exclusively by the chaos
	// that concerns every session at once (AdvanceClock).
	world sync.RWMutex

	chaosMu        sync.Mutex
	faultsInjected map[string]int
	expireEvents   int // per-family Expire calls that expired a live token
	advances       int
	revokes        int
	chaosErrors    []string
}

// Run soaks the proxy cfg.Proxy starts, in front of a fake backend on
// loopback, and reports. The error is for a soak that could not run;
// problems the soak found are in Report.Problems.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	users := soakUsers(cfg.Sessions)
	be, err := startBackend(ctx, users)
	if err != nil {
		return nil, err
	}
	defer withTimeout(15*time.Second, be.Close)

	logs := &lockedBuffer{}
	proxy, err := cfg.Proxy(ctx, ProxyEnv{BackendURL: be.URL, Secret: soakSecret, BackendTimeout: cfg.BackendTimeout, Logs: logs})
	if err != nil {
		return nil, fmt.Errorf("starting the proxy: %w", err)
	}
	// The proxy stops before the report, to see its stop fail; the defer
	// covers the early returns.
	stopProxy := sync.OnceValue(func() error { return withTimeout(20*time.Second, proxy.Stop) })
	defer stopProxy()

	s := newSoaker(cfg, be.Control, proxy.URL)
	defer s.transport.CloseIdleConnections()
	if err := s.loginAll(ctx, users); err != nil {
		return nil, err
	}
	rssStart, _ := rss(proxy.PID)
	elapsed := s.runTraffic(ctx)
	if err := s.drainAll(ctx); err != nil {
		return nil, err
	}
	rssEnd, rssPeak := rss(proxy.PID)
	if err := stopProxy(); err != nil {
		s.chaosErrors = append(s.chaosErrors, "stopping the proxy: "+err.Error())
	}
	return s.report(proxy, elapsed, logs.String(), rssStart, rssEnd, rssPeak), nil
}

// soakUsers are the n accounts of the soak, one per session.
func soakUsers(n int) []fakebackend.User {
	users := make([]fakebackend.User, n)
	for i := range users {
		users[i] = fakebackend.User{
			ID: fmt.Sprintf("u-%d", i+1), Email: fmt.Sprintf("user%d@soak.test", i+1),
			Password: fmt.Sprintf("password-%d", i+1), FirstName: fmt.Sprintf("First%d", i+1), LastName: "Soak",
		}
	}
	return users
}

// startBackend starts the in-process fake backend that knows users. Its rate
// limit is off: the 429s of a soak come from injected faults, which the
// books can explain.
func startBackend(ctx context.Context, users []fakebackend.User) (*fakebackend.Running, error) {
	be, err := fakebackend.Start(ctx, fakebackend.Config{
		Users:     users,
		RateLimit: &control.RateLimit{Enabled: false},
	}, fakebackend.StartOptions{})
	if err != nil {
		return nil, fmt.Errorf("starting the fake backend: %w", err)
	}
	return be, nil
}

// withTimeout runs a stop or close function with its own deadline, since the
// soak's context may be over by the time it runs.
func withTimeout(d time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f(ctx)
}

// newSoaker prepares a soak against the proxy at proxyURL, with a client
// that keeps enough idle connections for every worker's bursts.
func newSoaker(cfg Config, ctl *control.Client, proxyURL string) *soaker {
	s := &soaker{
		cfg:            cfg,
		ctl:            ctl,
		ledger:         newLedger(ctl),
		faultsInjected: map[string]int{},
		transport:      &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2 * cfg.Workers * 4},
	}
	s.client = &client{
		base:  proxyURL,
		leaks: newLeakScanner(),
		n:     &s.n,
		http: &http.Client{
			Transport:     s.transport,
			Timeout:       3*cfg.BackendTimeout + 30*time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	return s
}

// parallel calls f(0) to f(n-1) on the soak's workers and returns when all
// calls have returned.
func (s *soaker) parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range s.cfg.Workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// loginAll logs every user in, a few at a time, and reads the logins from
// the journal so that each session's family is known before chaos starts.
func (s *soaker) loginAll(ctx context.Context, users []fakebackend.User) error {
	s.sessions = make([]*session, len(users))
	s.parallel(len(users), func(i int) {
		sess := &session{user: users[i]}
		if s.client.login(ctx, sess) {
			s.n.initialLogins.Add(1)
		}
		s.sessions[i] = sess
	})
	if failed := s.n.loginFailures.Load(); failed > 0 {
		return fmt.Errorf("%d of %d initial logins failed: %v", failed, len(users), s.client.details)
	}
	_, err := s.ledger.poll(ctx)
	return err
}

// runTraffic sends traffic with chaos until cfg.Duration has passed, and
// returns how long that took.
func (s *soaker) runTraffic(ctx context.Context) time.Duration {
	start := time.Now()
	ctx, stop := context.WithTimeout(ctx, s.cfg.Duration)
	defer stop()
	var chaos, traffic sync.WaitGroup
	s.startChaos(ctx, &chaos, start)
	for w := range s.cfg.Workers {
		traffic.Go(func() { s.work(ctx, w) })
	}
	traffic.Wait()
	chaos.Wait()
	return time.Since(start)
}

// startChaos starts on wg, until ctx ends, the journal's poller, the
// progress lines, and every stream of chaos events.
func (s *soaker) startChaos(ctx context.Context, wg *sync.WaitGroup, start time.Time) {
	cfg := s.cfg
	wg.Go(func() { s.pollJournal(ctx) })
	wg.Go(func() { s.every(ctx, cfg.FaultEvery, 1, s.injectFault) })
	for stream := range uint64(expireStreams) {
		// Several streams, each at expireStreams × the mean, so a slow
		// control call (a loaded machine) does not thin the expiries out.
		wg.Go(func() { s.every(ctx, expireStreams*cfg.ExpireEvery, 10+stream, s.expireOne) })
	}
	wg.Go(func() { s.every(ctx, cfg.AdvanceEvery, 3, s.advanceClock) })
	wg.Go(func() {
		// One advance at a third of the run whatever the random ones do,
		// so even a short soak moves every session past its access token.
		select {
		case <-ctx.Done():
		case <-time.After(cfg.Duration / 3):
		}
		s.advanceClock(context.WithoutCancel(ctx), nil)
	})
	wg.Go(func() { s.every(ctx, cfg.RevokeEvery, 4, s.revokeOne) })
	wg.Go(func() { s.progress(ctx, start) })
}

// drainAll ends the soak's books: with no fault left, one request per
// session consumes the expiries not yet met, so that every live family's
// refreshes can be counted against its expiries; then the journal settles.
func (s *soaker) drainAll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := s.ctl.ClearFaults(ctx); err != nil {
		return fmt.Errorf("clearing faults: %w", err)
	}
	s.drain(ctx)
	return s.settleJournal(ctx)
}

// every runs f at random intervals around mean until ctx ends.
func (s *soaker) every(ctx context.Context, mean time.Duration, stream uint64, f func(context.Context, *rand.Rand)) {
	r := rand.New(rand.NewPCG(s.cfg.Seed, stream))
	for {
		wait := time.Duration(float64(mean) * (0.5 + r.Float64()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		f(ctx, r)
	}
}

func (s *soaker) chaosError(what string, err error) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	s.chaosMu.Lock()
	defer s.chaosMu.Unlock()
	if len(s.chaosErrors) < 10 {
		s.chaosErrors = append(s.chaosErrors, what+": "+err.Error())
	}
}

func (s *soaker) injectFault(ctx context.Context, r *rand.Rand) {
	menu := faultMenu(s.cfg.BackendTimeout)
	pick := menu[r.IntN(len(menu))]
	if err := s.ctl.QueueFault(ctx, pick.fault); err != nil {
		s.chaosError("queueing a fault", err)
		return
	}
	n := pick.fault.Count
	if n == 0 {
		n = 1
	}
	s.chaosMu.Lock()
	s.faultsInjected[pick.name] += n
	s.chaosMu.Unlock()
}

// expireOne expires the access token of one random session's family,
// while no action of that session is in flight.
func (s *soaker) expireOne(ctx context.Context, r *rand.Rand) {
	s.withRandomFamily(r, func(sess *session, k famKey, family string) {
		n, err := s.ctl.Expire(ctx, family, control.Access)
		if err != nil {
			s.chaosError("expiring a family", err)
			return
		}
		if n > 0 {
			s.ledger.with(k, func(b *famBook) { b.expiries++ })
			s.chaosMu.Lock()
			s.expireEvents++
			s.chaosMu.Unlock()
		}
	})
}

// withRandomFamily runs f for one random session whose login the journal
// has shown, holding that session so that none of its actions is in flight
// (and the world, so that no clock advance is).
func (s *soaker) withRandomFamily(r *rand.Rand, f func(sess *session, k famKey, family string)) {
	sess := s.sessions[r.IntN(len(s.sessions))]
	s.world.RLock()
	defer s.world.RUnlock()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	k := sess.key()
	if family, ok := s.ledger.family(k); ok {
		f(sess, k, family)
	}
}

// advanceClock moves the backend's clock past every access token's life,
// with every action stopped, so that each family with a live access token
// counts one expiry.
func (s *soaker) advanceClock(ctx context.Context, _ *rand.Rand) {
	s.world.Lock()
	defer s.world.Unlock()
	if ctx.Err() != nil {
		return
	}
	// Once the world is stopped, the advance runs to its end even if the
	// deadline passes meanwhile: the books must match what the backend did.
	ctx = context.WithoutCancel(ctx)
	tokens, err := s.ctl.Tokens(ctx)
	if err != nil {
		s.chaosError("reading tokens", err)
		return
	}
	if _, err := s.ledger.poll(ctx); err != nil {
		s.chaosError("reading the journal", err)
		return
	}
	live := map[famKey]bool{}
	for _, t := range tokens {
		if t.Kind != control.Access || t.State != control.StateActive {
			continue
		}
		if k, ok := s.ledger.keyOf(t.Family); ok {
			live[k] = true
		}
	}
	settings, err := s.ctl.Settings(ctx)
	if err != nil {
		s.chaosError("reading settings", err)
		return
	}
	if _, err := s.ctl.AdvanceClock(ctx, settings.AccessTTL.Std()+time.Minute); err != nil {
		s.chaosError("advancing the clock", err)
		return
	}
	for k := range live {
		s.ledger.with(k, func(b *famBook) { b.expiries++ })
	}
	s.chaosMu.Lock()
	s.advances++
	s.chaosMu.Unlock()
}

// revokeOne revokes one random session's family on purpose: its next
// answer must log it out, which is not a lost session.
func (s *soaker) revokeOne(ctx context.Context, r *rand.Rand) {
	s.withRandomFamily(r, func(sess *session, k famKey, family string) {
		if sess.revoked {
			return
		}
		if _, err := s.ctl.Revoke(ctx, family); err != nil {
			s.chaosError("revoking a family", err)
			return
		}
		sess.revoked = true
		s.ledger.with(k, func(b *famBook) { b.revoked = true })
		s.chaosMu.Lock()
		s.revokes++
		s.chaosMu.Unlock()
	})
}

func (s *soaker) pollJournal(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.ledger.poll(ctx); err != nil {
			s.chaosError("polling the journal", err)
		}
	}
}

// settleJournal reads the journal until it stays empty: entries of the
// last requests may land just after their answers.
func (s *soaker) settleJournal(ctx context.Context) error {
	quiet := 0
	for quiet < 3 {
		n, err := s.ledger.poll(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func (s *soaker) progress(ctx context.Context, start time.Time) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fmt.Fprintf(s.cfg.Progress, "soak: %4.0fs  requests %d  502/503 %d  lost %d  other 5xx %d\n",
			time.Since(start).Seconds(), s.n.requests.Load(), s.n.backend5xx.Load(), s.n.lost.Load(), s.n.unexpected5xx.Load())
	}
}

// work is one client: it acts for random sessions of its share until ctx
// ends. Each action holds the session, so chaos on that session waits.
func (s *soaker) work(ctx context.Context, w int) {
	r := rand.New(rand.NewPCG(s.cfg.Seed, uint64(100+w)))
	var mine []*session
	for i := w; i < len(s.sessions); i += s.cfg.Workers {
		mine = append(mine, s.sessions[i])
	}
	for ctx.Err() == nil {
		sess := mine[r.IntN(len(mine))]
		s.world.RLock()
		sess.mu.Lock()
		// Requests run to their end even after the deadline (a fresh
		// context), so no answer is cut short by the soak itself.
		s.act(context.WithoutCancel(ctx), r, sess)
		sess.mu.Unlock()
		s.world.RUnlock()
	}
}

// act sends one action of sess: mostly reads of /api/me, some pages,
// profile updates, and bursts of concurrent requests with one cookie (a
// page firing several fetches), which must share one refresh.
func (s *soaker) act(ctx context.Context, r *rand.Rand, sess *session) {
	if sess.cookie == "" {
		if s.client.login(ctx, sess) {
			s.n.relogins.Add(1)
		}
		return
	}
	c := s.client
	switch p := r.Float64(); {
	case p < 0.65:
		s.n.api.Add(1)
		c.settle(ctx, s.ledger, sess, "/api/me", []*answer{c.do(ctx, http.MethodGet, "/api/me", sess.cookie, nil)})
	case p < 0.80:
		s.n.pages.Add(1)
		c.settle(ctx, s.ledger, sess, "/profile", []*answer{c.do(ctx, http.MethodGet, "/profile", sess.cookie, nil)})
	case p < 0.90:
		s.n.patches.Add(1)
		body := fmt.Appendf(nil, `{"lastName":"Soak%d"}`, r.IntN(1000))
		c.settle(ctx, s.ledger, sess, "/api/profile", []*answer{c.do(ctx, http.MethodPatch, "/api/profile", sess.cookie, body)})
	default:
		s.n.bursts.Add(1)
		answers := make([]*answer, 4)
		var wg sync.WaitGroup
		cookie := sess.cookie
		for i := range answers {
			wg.Go(func() { answers[i] = c.do(ctx, http.MethodGet, "/api/me", cookie, nil) })
		}
		wg.Wait()
		c.settle(ctx, s.ledger, sess, "/api/me", answers)
	}
}

// drain sends one /api/me per session with no fault queued: every session
// must answer 200 (or, revoked on purpose, log out).
func (s *soaker) drain(ctx context.Context) {
	s.parallel(len(s.sessions), func(i int) {
		sess := s.sessions[i]
		sess.mu.Lock()
		defer sess.mu.Unlock()
		if sess.cookie != "" {
			s.client.settle(ctx, s.ledger, sess, "/api/me", []*answer{s.client.do(ctx, http.MethodGet, "/api/me", sess.cookie, nil)})
		}
	})
}

func (s *soaker) report(proxy *Proxy, elapsed time.Duration, logs string, rssStart, rssEnd, rssPeak int64) *Report {
	books, issued, consumed, refreshes, gaps := s.ledger.snapshot()
	current := map[famKey]bool{}
	for _, sess := range s.sessions {
		current[sess.key()] = true
	}
	rep := &Report{
		Duration: elapsed, Sessions: s.cfg.Sessions, Workers: s.cfg.Workers, Seed: s.cfg.Seed,
		ProxyPID: proxy.PID, SeparateProcess: proxy.Separate,
		Requests: s.n.requests.Load(), API: s.n.api.Load(), Pages: s.n.pages.Load(), Patches: s.n.patches.Load(), Bursts: s.n.bursts.Load(),
		OK: s.n.ok.Load(), Passed429: s.n.passed429.Load(),
		Relogins: s.n.relogins.Load(), LoginFailures: s.n.loginFailures.Load(),
		FaultsInjected: s.faultsInjected, FaultsConsumed: consumed,
		ExpireEvents: s.expireEvents, ClockAdvances: s.advances,
		RefreshCalls: refreshes,
		Revoked:      s.revokes, RevokedLoggedOut: s.n.revokedLoggedOut.Load(),
		SessionsLost: s.n.lost.Load(),
		Backend5xx:   s.n.backend5xx.Load(),
		WrongUser:    s.n.wrongUser.Load(), DivergentCookies: s.n.divergent.Load(),
		TransportErrors: s.n.transportErrors.Load(),
		JournalGaps:     gaps,
		TokensIssued:    len(issued),
		LeaksInAnswers:  s.client.leaks.leaks(issued),
		LeaksInLogs:     logLeaks(logs, issued),
		RSSStartKiB:     rssStart, RSSEndKiB: rssEnd, RSSPeakKiB: rssPeak,
		Notes: append(append([]string(nil), s.client.details...), s.chaosErrors...),
	}
	for _, v := range s.faultsInjected {
		rep.FaultsInjectedTotal += v
	}
	for _, v := range consumed {
		rep.FaultsConsumedTotal += v
	}
	rep.Unexpected5xx = s.n.unexpected5xx.Load()
	rep.UnexpectedOther = s.n.unexpectedOther.Load()
	unexplained := tallyFamilies(rep, books, current)
	rep.Unexpected5xx += unexplained
	rep.Explained5xx = max(0, rep.Backend5xx-unexplained)
	return rep
}

// tallyFamilies adds each family's books to rep, in a stable order, with a
// note for each family whose numbers do not add up, and returns the 502/503
// answers that no fault explains. A 5xx other than 502/503 is never
// explained; 502/503 incidents are, up to the faults the backend journaled
// for that family. current holds each session's family as it ended.
func tallyFamilies(rep *Report, books map[famKey]famBook, current map[famKey]bool) (unexplained int64) {
	keys := make([]famKey, 0, len(books))
	for k := range books {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		b := books[k]
		rep.Expiries += b.expiries
		rep.RefreshOK += b.refreshOK
		if extra := b.incidents - b.failingFaults; extra > 0 {
			unexplained += int64(extra)
			rep.Notes = append(rep.Notes, fmt.Sprintf("family %s: %d 502/503 incidents, %d faults", k, b.incidents, b.failingFaults))
		}
		if !current[k] || b.revoked {
			continue // logged out on purpose or lost: its expiries may never be met
		}
		if b.refreshOK != b.expiries {
			rep.RefreshMismatches++
			if rep.RefreshMismatches <= 10 {
				rep.Notes = append(rep.Notes, fmt.Sprintf("family %s: %d expiries, %d successful refreshes (%d attempts)", k, b.expiries, b.refreshOK, b.refreshCalls))
			}
		}
	}
	for k := range current {
		if !books[k].revoked {
			rep.LiveFamilies++
		}
	}
	return unexplained
}
