package bench

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"testing"
)

func TestProbeReuse(t *testing.T) {
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
	for _, u := range []string{refURL, bareURL} {
		reused := 0
		for range 20 {
			tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
				if i.Reused {
					reused++
				}
			}})
			resp, err := proxyMe(tctx, client, u, cookie)
			if err != nil {
				t.Fatal(err)
			}
			if u == refURL && reused == 0 {
				t.Logf("headers: %v", resp.Header)
			}
		}
		t.Logf("%s: reused %d of 20", u, reused)
	}
	_ = http.MethodGet
}
