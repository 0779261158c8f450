package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/redisserver"
)

// Shape of row 6.
const (
	// stormInstances is how many instances of the reference share the storm.
	stormInstances = 2
	// stormChunks: the two storms alternate in this many chunks of
	// sessions (one instance, two instances, one, two...), so that both
	// meet the machine as it was at the time.
	stormChunks = 5
)

// instancesRow is row 6: row 2's refresh storm (500 sessions × 8 concurrent
// GET /api/me right after Expire) spread over two instances of the
// reference that share a real Redis (REDIS_URL), 4 requests of each session
// to each instance, with the fake backend's grace window off, so that a
// second refresh of a token is reuse. The backend must count exactly 500
// refreshes and every answer be 200. In the same run, chunk by chunk in
// turn, the single-instance storm of row 2 again: the difference of their
// latencies is what the Redis path (lock, result, wait) adds.
func instancesRow(ctx context.Context, _ Options) row {
	r := row{num: 6, title: fmt.Sprintf("refresh storm across %d instances sharing a Redis: %d sessions × %d concurrent GET /api/me, %d per instance; grace window off",
		stormInstances, stormSessions, stormPerSession, stormPerSession/stormInstances)}
	rs, err := redisserver.Start(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer rs.Stop()
	one, err := startStormSide(ctx, 1, "")
	if err != nil {
		return r.fail(err)
	}
	defer one.stop()
	shared, err := startStormSide(ctx, stormInstances, rs.URL())
	if err != nil {
		return r.fail(err)
	}
	defer shared.stop()

	client, tr := newClient(stormSessionsAtOnce * stormPerSession)
	defer tr.CloseIdleConnections()
	sides := []*stormSide{one, shared}
	for _, side := range sides {
		if err := side.loginAndExpire(ctx, client); err != nil {
			return r.fail(err)
		}
	}
	var results [2]stormResult
	for c := range stormChunks {
		lo, hi := c*stormSessions/stormChunks, (c+1)*stormSessions/stormChunks
		for i, side := range sides {
			results[i].merge(runStorm(ctx, client, side.urls, side.cookies[lo:hi], true))
		}
	}
	refreshes := make([]int, len(sides))
	for i, side := range sides {
		if refreshes[i], err = side.refreshes(ctx); err != nil {
			return r.fail(err)
		}
	}
	single, multi := results[0], results[1]
	r.add("refresh calls at the backend, 2 instances (control Counts)", fmt.Sprintf("%d", refreshes[1]), fmt.Sprintf("= %d", stormSessions), verdictFor(refreshes[1] == stormSessions))
	r.add("non-200 answers, 2 instances", fmt.Sprintf("%d of %d%s", multi.non200, multi.sent, firstErrText(multi.firstErr)), "0", verdictFor(multi.non200 == 0 && multi.sent == stormSessions*stormPerSession))
	r.add("sessions whose answers share one cookie per instance", fmt.Sprintf("%d of %d", multi.agreeing, stormSessions), fmt.Sprintf("%d", stormSessions), verdictFor(multi.agreeing == stormSessions))
	r.add("refreshing requests, 1 instance (row 2's storm, this run)", fmt.Sprintf("p50 %-8s p99 %-8s (%d; %d refreshes)%s", ms(single.p50), ms(single.p99), single.ok, refreshes[0], firstErrText(single.firstErr)), "",
		verdictIfFailed(single.non200 == 0 && refreshes[0] == stormSessions))
	r.add("refreshing requests, 2 instances on Redis", fmt.Sprintf("p50 %-8s p99 %-8s (%d)", ms(multi.p50), ms(multi.p99), multi.ok), "", "")
	if single.ok > 0 && multi.ok > 0 {
		r.add("added by the Redis path", fmt.Sprintf("p50 %+.2fms  p99 %+.2fms", msf(multi.p50-single.p50), msf(multi.p99-single.p99)), "", "")
	}
	return r
}

// stormSide is one deployment of the storm: a fake backend of its own (so
// that its counts are its own) and the reference's instances in front.
type stormSide struct {
	be      *fakebackend.Running
	urls    []string
	cookies []string
	before  control.Counts
	stop    func()
}

func startStormSide(ctx context.Context, instances int, redisURL string) (*stormSide, error) {
	be, stopBE, err := startBackend(ctx)
	if err != nil {
		return nil, err
	}
	urls, stopRefs, err := startReferences(be.URL, redisURL, instances)
	if err != nil {
		stopBE()
		return nil, err
	}
	return &stormSide{be: be, urls: urls, stop: func() { stopRefs(); stopBE() }}, nil
}

// loginAndExpire logs the side's sessions in (through its first
// instance), then expires every access token.
func (s *stormSide) loginAndExpire(ctx context.Context, client *http.Client) error {
	s.cookies = make([]string, stormSessions)
	if err := forEach(ctx, stormSessions, stormSessionsAtOnce*stormPerSession, func(ctx context.Context, i int) error {
		c, err := proxyLogin(ctx, client, s.urls[0])
		s.cookies[i] = c
		return err
	}); err != nil {
		return fmt.Errorf("logging in %d sessions: %w", stormSessions, err)
	}
	var err error
	if s.before, err = s.be.Control.Counts(ctx); err != nil {
		return err
	}
	_, err = s.be.Control.Expire(ctx, "", control.Access)
	return err
}

// refreshes is how many refresh calls the side's backend saw since the
// expiry.
func (s *stormSide) refreshes(ctx context.Context) (int, error) {
	after, err := s.be.Control.Counts(ctx)
	if err != nil {
		return 0, err
	}
	return after.Total(control.RouteRefresh) - s.before.Total(control.RouteRefresh), nil
}

// msf is a duration in milliseconds, for signed differences.
func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
