package bench

import (
	"context"
	"os"
	"runtime"
	"runtime/trace"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestProbeTail(t *testing.T) {
	if os.Getenv("PROBE3") == "" {
		t.Skip()
	}
	ctx := context.Background()
	be, stopBE, _ := startBackend(ctx)
	defer stopBE()
	client, _ := newClient(12)
	refURL, stopRef, _ := startReference(be.URL)
	defer stopRef()
	cookie, _ := proxyLogin(ctx, client, refURL)
	access, _, _ := backendLogin(ctx, client, be.URL)
	bareURL, stopBare, _ := startBare(be.URL, access)
	defer stopBare()
	loads := []load{refMeLoad(client, refURL, cookie), {name: "bare", do: func(ctx context.Context, _ int) error { _, err := proxyMe(ctx, client, bareURL, ""); return err }}}
	if os.Getenv("TRACE") != "" {
		f, _ := os.Create("/tmp/rb/trace.out")
		trace.Start(f)
		defer trace.Stop()
	}
	for round := range 4 {
		for _, l := range loads {
			var mu sync.Mutex
			var lats []time.Duration
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			t0 := time.Now()
			runRound(ctx, load{name: l.name, do: func(ctx context.Context, c int) error {
				s := time.Now()
				err := l.do(ctx, c)
				d := time.Since(s)
				mu.Lock()
				lats = append(lats, d)
				mu.Unlock()
				return err
			}}, 5000, 12)
			el := time.Since(t0)
			runtime.ReadMemStats(&ms1)
			slices.Sort(lats)
			var sum time.Duration
			for _, d := range lats {
				sum += d
			}
			t.Logf("r%d %-9s %6.0f req/s mean %v p50 %v p90 %v p99 %v max %v  GCs %d pause %v alloc/req %d", round, l.name, 5000/el.Seconds(), sum/time.Duration(len(lats)), lats[len(lats)/2], lats[len(lats)*9/10], lats[len(lats)*99/100], lats[len(lats)-1], ms1.NumGC-ms0.NumGC, time.Duration(ms1.PauseTotalNs-ms0.PauseTotalNs), (ms1.TotalAlloc-ms0.TotalAlloc)/5000)
		}
	}
}
