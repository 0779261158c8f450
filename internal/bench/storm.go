package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"golang.org/x/sync/errgroup"
)

// Shape of the refresh storm (row 2).
const (
	stormSessions   = 500
	stormPerSession = 8
	// stormSessionsAtOnce sessions storm at a time: 2 × 8 = 16 requests in
	// flight, the bench's concurrency, so that latencies measure the proxy
	// and not a queue in front of two cores.
	stormSessionsAtOnce = 2
)

// stormRow is row 2: 500 sessions, each sending 8 concurrent requests right
// after their access tokens expired (control Expire, no sleeping). The
// backend must see exactly one refresh per session, every answer must be
// 200, and the 8 answers of a session must carry one identical rotated
// cookie. Then the same 8-per-session load again with the rotated cookies,
// which needs no refresh: the plain requests to compare latencies with.
func stormRow(ctx context.Context, o Options) row {
	r := row{num: 2, title: fmt.Sprintf("refresh storm: %d sessions × %d concurrent GET /api/me right after Expire(all, access); rate limit off", stormSessions, stormPerSession)}
	be, stopBE, err := startBackend(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer stopBE()
	client, tr := newClient(stormSessionsAtOnce * stormPerSession)
	defer tr.CloseIdleConnections()
	refURL, stopRef, err := startReference(be.URL)
	if err != nil {
		return r.fail(err)
	}
	defer stopRef()

	cookies := make([]string, stormSessions)
	if err := forEach(ctx, stormSessions, o.Clients, func(ctx context.Context, i int) error {
		c, err := proxyLogin(ctx, client, refURL)
		cookies[i] = c
		return err
	}); err != nil {
		return r.fail(fmt.Errorf("logging in %d sessions: %w", stormSessions, err))
	}
	before, err := be.Control.Counts(ctx)
	if err != nil {
		return r.fail(err)
	}
	if _, err := be.Control.Expire(ctx, "", control.Access); err != nil {
		return r.fail(err)
	}

	storm := runStorm(ctx, client, []string{refURL}, cookies, true)
	after, err := be.Control.Counts(ctx)
	if err != nil {
		return r.fail(err)
	}
	plain := runStorm(ctx, client, []string{refURL}, storm.rotated, false)

	refreshes := after.Total(control.RouteRefresh) - before.Total(control.RouteRefresh)
	rotatedOK := after[control.RouteRefresh][control.OutcomeOK] - before[control.RouteRefresh][control.OutcomeOK]
	r.add("refresh calls at the backend (control Counts)", fmt.Sprintf("%d (%d rotated)", refreshes, rotatedOK), fmt.Sprintf("= %d", stormSessions), verdictFor(refreshes == stormSessions && rotatedOK == stormSessions))
	r.add("non-200 answers in the storm", fmt.Sprintf("%d of %d%s", storm.non200, storm.sent, firstErrText(storm.firstErr)), "0", verdictFor(storm.non200 == 0 && storm.sent == stormSessions*stormPerSession))
	r.add("sessions whose 8 answers share one rotated cookie", fmt.Sprintf("%d of %d", storm.agreeing, stormSessions), fmt.Sprintf("%d", stormSessions), verdictFor(storm.agreeing == stormSessions))
	r.add("refreshing requests (8 per session, expired)", fmt.Sprintf("p50 %-8s p99 %-8s (%d)", ms(storm.p50), ms(storm.p99), storm.ok), "", "")
	r.add("plain requests (8 per session, rotated cookie)", fmt.Sprintf("p50 %-8s p99 %-8s (%d)%s", ms(plain.p50), ms(plain.p99), plain.ok, firstErrText(plain.firstErr)), "", verdictIfFailed(plain.non200 == 0))
	if plain.p50 > 0 && plain.p99 > 0 {
		r.add("refreshing / plain", fmt.Sprintf("p50 %.2fx   p99 %.2fx", float64(storm.p50)/float64(plain.p50), float64(storm.p99)/float64(plain.p99)), "", "")
	}
	return r
}

func verdictFor(ok bool) string {
	if ok {
		return verdictMet
	}
	return verdictFailed
}

// verdictIfFailed shows only a failure: a line whose target is implicit.
func verdictIfFailed(ok bool) string {
	if ok {
		return ""
	}
	return verdictFailed
}

func firstErrText(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf("; first: %v", err)
}

// stormResult is one pass of 8 concurrent requests per session.
type stormResult struct {
	sent, ok, non200 int
	// agreeing counts the sessions whose answers from one instance all set
	// the same cookie (refreshing pass): one refresh, sealed once, per
	// instance.
	agreeing  int
	rotated   []string        // per session, the cookie to use next
	latencies []time.Duration // of the answered requests, sorted
	p50, p99  time.Duration
	firstErr  error
}

// merge adds o, a pass over other sessions, to r.
func (r *stormResult) merge(o stormResult) {
	r.sent, r.ok, r.non200, r.agreeing = r.sent+o.sent, r.ok+o.ok, r.non200+o.non200, r.agreeing+o.agreeing
	r.rotated = append(r.rotated, o.rotated...)
	r.latencies = append(r.latencies, o.latencies...)
	slices.Sort(r.latencies)
	r.p50, r.p99 = percentile(r.latencies, 0.50), percentile(r.latencies, 0.99)
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}

// runStorm sends stormPerSession concurrent GET /api/me per session,
// stormSessionsAtOnce sessions at a time; request k of a session goes to
// urls[k mod len(urls)], the instances of one deployment. refreshing says
// every answer must carry a rotated cookie; otherwise none may.
func runStorm(ctx context.Context, client *http.Client, urls []string, cookies []string, refreshing bool) stormResult {
	res := stormResult{rotated: slices.Clone(cookies)}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		sent      atomic.Int64
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		res.non200++
		if res.firstErr == nil {
			res.firstErr = err
		}
	}
	_ = forEach(ctx, len(cookies), stormSessionsAtOnce, func(ctx context.Context, i int) error {
		set := make([]string, stormPerSession)
		lat := make([]time.Duration, stormPerSession)
		okCount := 0
		var wg sync.WaitGroup
		start := make(chan struct{})
		for k := range stormPerSession {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start // the 8 leave together, as a page's parallel fetches do
				sent.Add(1)
				t0 := time.Now()
				resp, err := proxyMe(ctx, client, urls[k%len(urls)], cookies[i])
				lat[k] = time.Since(t0)
				if err != nil {
					fail(err)
					lat[k] = -1
					return
				}
				set[k] = sessionCookie(resp)
				if !refreshing && set[k] != "" {
					fail(errors.New("a plain request got a Set-Cookie: it refreshed"))
					lat[k] = -1
				}
			}()
		}
		close(start)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lat {
			if l >= 0 {
				latencies = append(latencies, l)
				okCount++
			}
		}
		res.ok += okCount
		if refreshing && okCount == stormPerSession && agreePerInstance(set, len(urls)) {
			res.agreeing++
			res.rotated[i] = set[0]
		}
		return nil
	})
	slices.Sort(latencies)
	res.sent = int(sent.Load())
	res.latencies = latencies
	res.p50, res.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return res
}

// agreePerInstance says the answers of each instance (answer k came from
// instance k mod n) all carry one non-empty cookie.
func agreePerInstance(set []string, n int) bool {
	for k, c := range set {
		if c == "" || c != set[k%n] {
			return false
		}
	}
	return true
}

// forEach runs f for 0..n-1 with at most limit at a time, and returns the
// first error (which stops new calls).
func forEach(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
