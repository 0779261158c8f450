package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request of the load generator: a stuck request
// fails its round instead of holding the whole program.
const requestTimeout = 10 * time.Second

// newClient is the load generator's HTTP client: keep-alive connections,
// one idle connection kept per client goroutine and host, so that no request
// pays for a dial and the generator stays cheap next to what it measures.
func newClient(clients int) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, never through HTTP_PROXY
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        8 * clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr
}

// load is one measured thing: do sends one request as client number
// client (0 ≤ client < clients), which lets a target keep per-client state
// such as a refresh-token chain, and fails on anything but the expected
// answer.
type load struct {
	name string
	do   func(ctx context.Context, client int) error
}

// roundResult is one round of one load: a fixed number of requests from a
// fixed number of concurrent clients.
type roundResult struct {
	requests int
	failures int
	firstErr error
	elapsed  time.Duration
	p50, p99 time.Duration
	// cpu is the CPU time each meter of the round saw spent during it.
	cpu []time.Duration
}

// cpuPerRequest is meter i's CPU time per successful request.
func (r roundResult) cpuPerRequest(i int) time.Duration {
	if n := r.requests - r.failures; n > 0 && i < len(r.cpu) {
		return r.cpu[i] / time.Duration(n)
	}
	return 0
}

func (r roundResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests-r.failures) / r.elapsed.Seconds()
}

// runRound sends requests requests from clients goroutines and measures
// each one. It stops early, counting the rest as failures, when ctx ends.
func runRound(ctx context.Context, l load, requests, clients int, meters ...cpuMeter) roundResult {
	cpuBefore := readMeters(meters)
	latencies := make([]time.Duration, 0, requests)
	var (
		next     atomic.Int64
		mu       sync.Mutex
		failures int
		firstErr error
		wg       sync.WaitGroup
	)
	perClient := make([][]time.Duration, clients)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]time.Duration, 0, requests/clients+1)
			for next.Add(1) <= int64(requests) {
				if ctx.Err() != nil {
					mu.Lock()
					failures++
					mu.Unlock()
					continue
				}
				t0 := time.Now()
				err := l.do(ctx, c)
				d := time.Since(t0)
				if err != nil {
					mu.Lock()
					failures++
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				own = append(own, d)
			}
			perClient[c] = own
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := readMeters(meters)
	for i := range cpu {
		cpu[i] -= cpuBefore[i]
	}
	for _, own := range perClient {
		latencies = append(latencies, own...)
	}
	slices.Sort(latencies)
	return roundResult{
		requests: requests, failures: failures, firstErr: firstErr, elapsed: elapsed,
		p50: percentile(latencies, 0.50), p99: percentile(latencies, 0.99), cpu: cpu,
	}
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// median of xs (the lower middle for an even count); 0 for none.
func median[T int | int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// stats are the medians over the rounds of one load.
type stats struct {
	rounds   int
	rate     float64
	p50, p99 time.Duration
	cpu      []time.Duration // per meter, median CPU time per request
	failures int
	firstErr error
}

func summarize(rs []roundResult) stats {
	var st stats
	rates := make([]float64, 0, len(rs))
	p50s := make([]time.Duration, 0, len(rs))
	p99s := make([]time.Duration, 0, len(rs))
	for _, r := range rs {
		rates = append(rates, r.rate())
		p50s = append(p50s, r.p50)
		p99s = append(p99s, r.p99)
		st.failures += r.failures
		if st.firstErr == nil {
			st.firstErr = r.firstErr
		}
	}
	if len(rs) > 0 {
		for i := range rs[0].cpu {
			per := make([]time.Duration, 0, len(rs))
			for _, r := range rs {
				per = append(per, r.cpuPerRequest(i))
			}
			st.cpu = append(st.cpu, median(per))
		}
	}
	st.rounds = len(rs)
	st.rate, st.p50, st.p99 = median(rates), median(p50s), median(p99s)
	return st
}

// interleaved runs rounds of loads in turn (A B C B C A...) after one
// unmeasured warm-up round each, so that whatever else the machine does
// hits every load alike. It stops starting rounds when ctx is done or the
// next round would likely overrun ctx's deadline, and returns the measured
// rounds per load (index as in loads).
func interleaved(ctx context.Context, loads []load, rounds, requests, clients int, meters ...cpuMeter) ([][]roundResult, error) {
	for _, l := range loads {
		r := runRound(ctx, l, max(requests/4, clients), clients)
		if r.firstErr != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", l.name, r.firstErr)
		}
		if r.failures > 0 {
			return nil, fmt.Errorf("%s: warm-up: %w", l.name, ctx.Err())
		}
	}
	out := make([][]roundResult, len(loads))
	var lastSet time.Duration
	for round := range rounds {
		if ctx.Err() != nil {
			break
		}
		if dl, ok := ctx.Deadline(); ok && len(out[0]) > 0 && time.Until(dl) < lastSet+lastSet/2 {
			break
		}
		setStart := time.Now()
		// Each set starts with another load (A B C, B C A, C A B...), so
		// that no load always follows the same one (and its garbage).
		for k := range loads {
			i := (k + round) % len(loads)
			out[i] = append(out[i], runRound(ctx, loads[i], requests, clients, meters...))
		}
		lastSet = time.Since(setStart)
	}
	if len(out[0]) == 0 {
		return nil, fmt.Errorf("no round finished within the row's bound: %w", context.Cause(ctx))
	}
	return out, nil
}

// roundRatios is, per round, a's value over b's: a ratio per round is what
// interleaving makes robust, since both loads of one round met the same
// machine.
func roundRatios(a, b []roundResult, value func(roundResult) float64) []float64 {
	return crossRatios(a, b, value, value)
}

// crossRatios is, per round, va of a's round over vb of b's round.
func crossRatios(a, b []roundResult, va, vb func(roundResult) float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, 0, n)
	for i := range n {
		if d := vb(b[i]); d > 0 {
			out = append(out, va(a[i])/d)
		}
	}
	return out
}

func rateOf(r roundResult) float64 { return r.rate() }

// cpuOf is the CPU time per request that meter i saw.
func cpuOf(i int) func(roundResult) float64 {
	return func(r roundResult) float64 { return float64(r.cpuPerRequest(i)) }
}
func p50Of(r roundResult) float64 { return float64(r.p50) }

// drain reads and closes a response body so that its connection is reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// expectStatus sends req and fails on any status but want.
func expectStatus(client *http.Client, req *http.Request, want int) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		drain(resp)
		return nil, fmt.Errorf("%s %s: status %d, want %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, want, body)
	}
	return resp, nil
}
