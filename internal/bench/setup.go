package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/reference"
)

// The fake backend's seeded account (fakebackend.DefaultUsers).
const (
	benchEmail    = "alice@example.com"
	benchPassword = "correct horse"
)

var loginJSON = []byte(`{"email":"` + benchEmail + `","password":"` + benchPassword + `"}`)

// startBackend starts an in-process fake backend on loopback with the rate
// limit off: every load here is the burst the limit exists to stop.
func startBackend(ctx context.Context) (*fakebackend.Running, func(), error) {
	be, err := fakebackend.Start(ctx, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}}, fakebackend.StartOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the fake backend: %w", err)
	}
	return be, func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = be.Close(ctx)
	}, nil
}

// serve serves h on a free loopback port, configured as reference.Run
// configures its server, and returns its base URL and a stop function.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}

// randomSecret is a fresh SESSION_SECRET for one run.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startReference serves the reference proxy in this process in front of
// backendURL. Its log is JSON, as the binary's, but discarded: what it costs
// to format a line stays in the measurement.
func startReference(backendURL string) (string, func(), error) {
	urls, stop, err := startReferences(backendURL, "", 1)
	if err != nil {
		return "", nil, err
	}
	return urls[0], stop, nil
}

// startReferences serves n instances of the reference in this process, as
// startReference serves one, sharing a secret and, when redisURL is set,
// the Redis of their shared refresh.
func startReferences(backendURL, redisURL string, n int) ([]string, func(), error) {
	secret := randomSecret()
	var (
		urls  []string
		stops []func()
	)
	stopAll := func() {
		for _, stop := range stops {
			stop()
		}
	}
	for range n {
		srv, err := reference.NewServer(reference.Config{
			BackendURL:   backendURL,
			Secrets:      []string{secret},
			CookieSecure: false,
			RedisURL:     redisURL,
			Logger:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
		})
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		base, stop, err := serve(srv)
		if err != nil {
			srv.Close()
			stopAll()
			return nil, nil, err
		}
		urls = append(urls, base)
		stops = append(stops, func() { stop(); srv.Close() })
	}
	return urls, stopAll, nil
}

// startBare serves the baseline: an httputil.ReverseProxy that only sends
// GET /api/me to the backend's /api/user/me with the Bearer header, over a
// Transport tuned like the reference's, with a buffer pool. A tuned bare
// proxy, so that the reference is compared with the best a proxy that does
// nothing can do.
func startBare(backendURL, access string) (string, func(), error) {
	target, err := url.Parse(backendURL)
	if err != nil {
		return "", nil, err
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        200,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/api/user/me"
			pr.Out.Header.Set("Authorization", "Bearer "+access)
		},
		Transport:  tr,
		BufferPool: &bufferPool{},
		ErrorLog:   slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelWarn),
	}
	base, stop, err := serve(rp)
	if err != nil {
		return "", nil, err
	}
	return base, func() { stop(); tr.CloseIdleConnections() }, nil
}

// bufferPool spares the bare proxy a 32 KiB allocation per request.
type bufferPool struct{ p sync.Pool }

func (bp *bufferPool) Get() []byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (bp *bufferPool) Put(b []byte) { bp.p.Put(&b) }

// tokenAnswer is the part of a login or refresh answer the bench reads.
type tokenAnswer struct {
	Data struct {
		Authorization struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		} `json:"authorization"`
	} `json:"data"`
}

// backendLogin logs in at the backend directly and returns both tokens.
func backendLogin(ctx context.Context, client *http.Client, backendURL string) (access, refresh string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, backendURL+"/auth/login", bytes.NewReader(loginJSON))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := expectStatus(client, req, http.StatusOK)
	if err != nil {
		return "", "", fmt.Errorf("backend login: %w", err)
	}
	defer drain(resp)
	var a tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return "", "", fmt.Errorf("backend login: decoding: %w", err)
	}
	if a.Data.Authorization.AccessToken == "" || a.Data.Authorization.RefreshToken == "" {
		return "", "", errors.New("backend login: no tokens in the answer")
	}
	return a.Data.Authorization.AccessToken, a.Data.Authorization.RefreshToken, nil
}

// backendMe is one GET /api/user/me with a Bearer token.
func backendMe(ctx context.Context, client *http.Client, backendURL, access string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, backendURL+"/api/user/me", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := expectStatus(client, req, http.StatusOK)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// proxyLogin logs in through a proxy (JSON POST /login) and returns the
// session cookie's value.
func proxyLogin(ctx context.Context, client *http.Client, proxyURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, proxyURL+"/login", bytes.NewReader(loginJSON))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := expectStatus(client, req, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("proxy login: %w", err)
	}
	defer drain(resp)
	v := sessionCookie(resp)
	if v == "" {
		return "", errors.New("proxy login: no session cookie in the answer")
	}
	return v, nil
}

// sessionCookie is the value of the session cookie resp sets, "" if none.
func sessionCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == reference.CookieName && c.MaxAge >= 0 && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// proxyMe is one GET /api/me through a proxy with a session cookie ("" for
// none), and returns the answer (body drained).
func proxyMe(ctx context.Context, client *http.Client, proxyURL, cookie string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, proxyURL+"/api/me", nil)
	if err != nil {
		return nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", reference.CookieName+"="+cookie)
	}
	resp, err := expectStatus(client, req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	drain(resp)
	return resp, nil
}
