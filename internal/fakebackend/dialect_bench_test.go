package fakebackend_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// The dialect benchmarks serve the same calls in the json and the oauth2
// dialect in one loop, alternating, and time each dialect's calls apart:
// on a shared machine the noise then falls on both alike, and the ratio
// oauth2/json is what the dialect costs. The oauth2 server authenticates
// its client with HTTP Basic and asks for offline_access, as a real one does.
//
//	go test -run '^$' -bench Dialect -benchmem ./fakebackend/

var benchOAuth2 = dialect.Mapping{Dialect: dialect.OAuth2, ClientID: "refreshspec-app", ClientSecret: "s3cret", Scope: "offline_access"}

// dialectPeer is one dialect's backend in a dialect benchmark.
type dialectPeer struct {
	m                    dialect.Mapping
	base                 string
	do                   func(*http.Request) ([]byte, int)
	reset                func()
	access, refreshToken string
	elapsed              time.Duration
}

func (p *dialectPeer) login(b *testing.B) {
	req, err := p.m.NewLoginRequest(context.Background(), p.base, aliceEmail, alicePassword)
	if err != nil {
		b.Fatal(err)
	}
	raw, status := p.do(req)
	tok, err := p.m.ReadTokens(raw)
	if status != 200 || err != nil {
		b.Fatalf("%s login: %d %v", p.m.Dialect, status, err)
	}
	p.access, p.refreshToken = tok.Access, tok.Refresh
}

// timed serves req and adds its time to the peer's.
func (p *dialectPeer) timed(b *testing.B, req *http.Request, err error) []byte {
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	raw, status := p.do(req)
	p.elapsed += time.Since(start)
	if status != 200 {
		b.Fatalf("%s %s: %d %s", p.m.Dialect, req.URL.Path, status, raw)
	}
	return raw
}

// handlerPeers serve through the handlers, without a network.
func handlerPeers(b *testing.B) []*dialectPeer {
	var peers []*dialectPeer
	for _, m := range []dialect.Mapping{{}, benchOAuth2} {
		cfg := benchConfig
		cfg.Mapping = m
		s := fakebackend.MustNewServer(cfg)
		b.Cleanup(s.Close)
		m.ApplyDefaults()
		api, ctl := s.API(), s.Control()
		peers = append(peers, &dialectPeer{m: m, base: "http://fakebackend",
			do: func(req *http.Request) ([]byte, int) {
				rec := httptest.NewRecorder()
				api.ServeHTTP(rec, req)
				return rec.Body.Bytes(), rec.Code
			},
			reset: func() { ctl.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", control.PathReset, nil)) },
		})
	}
	return peers
}

// loopbackPeers serve on 127.0.0.1 through keep-alive connections, as a
// proxy talks to them.
func loopbackPeers(b *testing.B) []*dialectPeer {
	var peers []*dialectPeer
	for _, m := range []dialect.Mapping{{}, benchOAuth2} {
		cfg := benchConfig
		cfg.Mapping = m
		run, err := fakebackend.Start(context.Background(), cfg, fakebackend.StartOptions{})
		if err != nil {
			b.Fatal(err)
		}
		tr := &http.Transport{MaxIdleConnsPerHost: 4}
		b.Cleanup(func() {
			tr.CloseIdleConnections()
			_ = run.Close(context.Background())
		})
		client := &http.Client{Transport: tr}
		m.ApplyDefaults()
		peers = append(peers, &dialectPeer{m: m, base: run.URL,
			do: func(req *http.Request) ([]byte, int) {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				return raw, resp.StatusCode
			},
			reset: func() {
				if err := run.Control.Reset(context.Background()); err != nil {
					b.Fatal(err)
				}
			},
		})
	}
	return peers
}

// inTurn swaps who goes first every other call, so that neither dialect
// always pays for what the other left behind (garbage, cold caches).
func inTurn(peers []*dialectPeer, i int) []*dialectPeer {
	if i%2 == 0 {
		return peers
	}
	return []*dialectPeer{peers[1], peers[0]}
}

// reportRatio reports each dialect's time per call and oauth2/json.
func reportRatio(b *testing.B, peers []*dialectPeer) {
	json, oauth2 := peers[0].elapsed.Seconds(), peers[1].elapsed.Seconds()
	b.ReportMetric(json*1e9/float64(b.N), "json-ns/op")
	b.ReportMetric(oauth2*1e9/float64(b.N), "oauth2-ns/op")
	b.ReportMetric(oauth2/json, "oauth2/json")
}

func benchDialectRefresh(b *testing.B, peers []*dialectPeer) {
	for _, p := range peers {
		p.login(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for _, p := range inTurn(peers, i) {
			if i > 0 && i%restartEvery == 0 {
				b.StopTimer()
				p.reset()
				p.login(b)
				b.StartTimer()
			}
			req, err := p.m.NewRefreshRequest(context.Background(), p.base, p.refreshToken)
			raw := p.timed(b, req, err)
			tok, err := p.m.ReadTokens(raw)
			if err != nil {
				b.Fatal(err)
			}
			p.refreshToken = tok.Refresh
		}
	}
	reportRatio(b, peers)
}

func benchDialectMe(b *testing.B, peers []*dialectPeer) {
	for _, p := range peers {
		p.login(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for _, p := range inTurn(peers, i) {
			req, err := p.m.NewMeRequest(context.Background(), p.base, p.access)
			p.timed(b, req, err)
		}
	}
	reportRatio(b, peers)
}

func BenchmarkDialectRefreshHandler(b *testing.B)  { benchDialectRefresh(b, handlerPeers(b)) }
func BenchmarkDialectMeHandler(b *testing.B)       { benchDialectMe(b, handlerPeers(b)) }
func BenchmarkDialectRefreshLoopback(b *testing.B) { benchDialectRefresh(b, loopbackPeers(b)) }
func BenchmarkDialectMeLoopback(b *testing.B)      { benchDialectMe(b, loopbackPeers(b)) }
