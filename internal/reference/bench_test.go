package reference

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// benchSession has tokens the size the fake backend issues (43 characters).
var benchSession = session{
	Access:        "Vh5nY3B2dGx6aG1xc2V1d3l4cjRhYmNkZWZnaGlqa2w",
	Refresh:       "Qm9vdHN0cmFwUmVmcmVzaFRva2VuRm9yQmVuY2htYXJr",
	RefreshExpiry: time.Now().Add(SessionLifetime).Unix(),
	UserID:        "u-1",
	FirstName:     "Alice",
}

func benchStore(b *testing.B) *sessionStore {
	st, err := newSessionStore(Config{Secrets: []string{testSecret}, CookieSecure: true, now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func BenchmarkSealSession(b *testing.B) {
	st := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.cookie(&benchSession); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnsealSession opens a session cookie: "first-sight" through the
// codecs (HMAC, AES, base64, JSON), as for a cookie the proxy has not seen
// lately, and "repeat" from the cache of opened cookies, as for a browser's
// next request.
func BenchmarkUnsealSession(b *testing.B) {
	st := benchStore(b)
	c, err := st.cookie(&benchSession)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.AddCookie(c)
	for _, bc := range []struct {
		name   string
		cached bool
	}{{"first-sight", false}, {"repeat", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportMetric(float64(len(c.String())), "cookie-bytes")
			b.ReportAllocs()
			for b.Loop() {
				if !bc.cached {
					st.opened.drop(c.Value)
				}
				if _, _, err := st.open(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkServeMe is the reference's own work on one GET /api/me, without
// the network: the handler runs on a recorder and the backend is an
// in-memory RoundTripper with a canned /api/user/me answer. What is left is
// opening the cookie, building the backend request, reading its answer and
// writing the response.
func BenchmarkServeMe(b *testing.B) {
	srv, err := NewServer(Config{BackendURL: "http://backend.invalid", Secrets: []string{testSecret}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	srv.backend.http.Transport = cannedMe{}
	c, err := srv.store.cookie(&benchSession)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		r.AddCookie(c)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET /api/me: %d %s", w.Code, w.Body)
		}
	}
}

// cannedMe answers every request as the fake backend answers
// /api/user/me.
type cannedMe struct{}

const cannedMeBody = `{"success":true,"data":{"id":"u-1","email":"alice@example.com","firstName":"Alice","lastName":"Liddell"}}`

func (cannedMe) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(cannedMeBody)),
		ContentLength: int64(len(cannedMeBody)),
		Request:       r,
	}, nil
}

// BenchmarkRefresh is one refresh as a browser meets it: GET /api/me with
// an expired access token, so that the reference calls the resource (401),
// refreshes, retries and seals the rotated session into the Set-Cookie.
// Expiring the token (the control API) is outside the timer.
func BenchmarkRefresh(b *testing.B) {
	be, ctl := startBackend(b, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}})
	ref := startProxy(b, be.URL, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) })
	cookie := ref.login()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		expireAccess(b, ctl)
		b.StartTimer()
		a := ref.get("/api/me", cookie)
		next := a.SessionCookie()
		if a.Status != http.StatusOK || next == nil || next.Value == cookie.Value {
			b.Fatalf("GET /api/me with an expired access token: %d, Set-Cookie %v; want 200 and a rotated session", a.Status, a.SetCookieLines())
		}
		cookie = next
	}
}

// BenchmarkRefreshCall is the refresher alone: one /auth/refresh call, its
// answer parsed, the rotated session sealed and remembered, each iteration
// presenting the refresh token the last one got.
func BenchmarkRefreshCall(b *testing.B) {
	be, _ := startBackend(b, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}})
	ref := startProxy(b, be.URL, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) })
	sess, _, err := ref.srv.store.open(cookieRequest(ref.login()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		before := *sess
		out, err := ref.srv.refresher.refresh(ctx, sess.Refresh, func(t rotatedTokens) (*http.Cookie, error) {
			saved := before
			saved.Access, saved.Refresh = t.Access, t.Refresh
			return ref.srv.store.cookie(&saved)
		})
		if err != nil || out.sealErr != nil {
			b.Fatalf("refresh: %v %v", err, out.sealErr)
		}
		sess.Access, sess.Refresh = out.tokens.Access, out.tokens.Refresh
	}
}

func cookieRequest(c *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	return r
}

// Load shape of BenchmarkProxyMe: a fixed number of requests per round
// from a fixed number of concurrent clients.
const (
	benchRequests = 2000
	benchClients  = 12
)

// BenchmarkProxyMe compares, in one run, GET /api/me through the reference,
// through a bare httputil.ReverseProxy that only adds the Bearer header, and
// straight to the fake backend: req/s, p50 and p99 per request.
func BenchmarkProxyMe(b *testing.B) {
	be, ctl := startBackend(b, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}})
	ref := startProxy(b, be.URL, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	cookie := ref.login()
	access := lastIssued(b, ctl, control.Access)

	pathMe := dialect.Default().Me.Path
	target, _ := url.Parse(be.URL)
	bareTransport := &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second}
	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = pathMe
			pr.Out.Header.Set("Authorization", "Bearer "+access)
		},
		Transport:  bareTransport,
		BufferPool: &bufferPool{},
	})
	b.Cleanup(func() { bare.Close(); bareTransport.CloseIdleConnections() })

	clientTransport := &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: benchClients * 2}
	b.Cleanup(clientTransport.CloseIdleConnections)
	client := &http.Client{Transport: clientTransport, Timeout: requestDeadline}

	targets := []struct {
		name  string
		build func() *http.Request
	}{
		{"reference", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, ref.http.URL+"/api/me", nil)
			r.AddCookie(&http.Cookie{Name: CookieName, Value: cookie.Value})
			return r
		}},
		{"bare", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, bare.URL+"/api/me", nil)
			return r
		}},
		{"direct", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, be.URL+pathMe, nil)
			r.Header.Set("Authorization", "Bearer "+access)
			return r
		}},
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			var latencies []time.Duration
			var elapsed time.Duration
			for b.Loop() {
				l, d := loadRound(b, client, tg.build)
				latencies = append(latencies, l...)
				elapsed += d
			}
			slices.Sort(latencies)
			b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(percentile(latencies, 0.50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(percentile(latencies, 0.99).Microseconds()), "p99-µs")
		})
	}
}

// loadRound sends benchRequests requests from benchClients clients and
// returns each request's latency and the round's wall time.
func loadRound(b *testing.B, client *http.Client, build func() *http.Request) ([]time.Duration, time.Duration) {
	latencies := make([]time.Duration, benchRequests)
	work := make(chan int, benchRequests)
	for i := range benchRequests {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	var failed sync.Once
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t0 := time.Now()
				resp, err := client.Do(build())
				if err != nil {
					failed.Do(func() { b.Errorf("request: %v", err) })
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Do(func() { b.Errorf("status %d", resp.StatusCode) })
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return latencies, time.Since(start)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// bufferPool spares the bare proxy a 32 KiB allocation per request, so the
// comparison is against a tuned ReverseProxy, not a naive one.
type bufferPool struct{ p sync.Pool }

func (bp *bufferPool) Get() []byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (bp *bufferPool) Put(b []byte) { bp.p.Put(&b) }
