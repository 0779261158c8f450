package bench

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	which := os.Getenv("PROBE")
	if which == "" {
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
	l := refMeLoad(client, refURL, cookie)
	if which == "bare" {
		l = load{name: "bare", do: func(ctx context.Context, _ int) error { _, err := proxyMe(ctx, client, bareURL, ""); return err }}
	}
	runRound(ctx, l, 2000, 12)
	f, _ := os.Create("/tmp/rb/probe-" + which + ".out")
	pprof.StartCPUProfile(f)
	t0 := time.Now()
	var n int
	for range 5 {
		r := runRound(ctx, l, 10000, 12)
		n += r.requests
	}
	pprof.StopCPUProfile()
	t.Logf("%s: %d requests in %s: %.0f req/s", which, n, time.Since(t0), float64(n)/time.Since(t0).Seconds())
}
