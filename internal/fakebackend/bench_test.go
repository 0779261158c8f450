package fakebackend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// benchConfig turns the rate limit off: a benchmark is the burst it exists
// to stop.
var benchConfig = fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}}

// restartEvery bounds the store during long refresh benchmarks: used
// refresh tokens stay until they expire, for reuse detection.
const restartEvery = 20_000

type tokenAnswer struct {
	Data struct {
		Authorization struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		} `json:"authorization"`
	} `json:"data"`
}

func decodeTokens(tb testing.TB, r io.Reader) tokenAnswer {
	var a tokenAnswer
	if err := json.NewDecoder(r).Decode(&a); err != nil || a.Data.Authorization.RefreshToken == "" {
		tb.Fatalf("decoding tokens: %v", err)
	}
	return a
}

const loginBody = `{"email":"alice@example.com","password":"correct horse"}`

func handlerLogin(tb testing.TB, api http.Handler) tokenAnswer {
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/login", bytes.NewReader([]byte(loginBody))))
	return decodeTokens(tb, rec.Body)
}

func reportOps(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkRefreshHandler(b *testing.B) {
	s := fakebackend.MustNewServer(benchConfig)
	defer s.Close()
	api, ctl := s.API(), s.Control()
	tok := handlerLogin(b, api).Data.Authorization.RefreshToken
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%restartEvery == 0 {
			b.StopTimer()
			ctl.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", control.PathReset, nil))
			tok = handlerLogin(b, api).Data.Authorization.RefreshToken
			b.StartTimer()
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/refresh", bytes.NewReader([]byte(`{"refresh_token":"`+tok+`"}`))))
		if rec.Code != 200 {
			b.Fatalf("refresh: %d %s", rec.Code, rec.Body)
		}
		tok = decodeTokens(b, rec.Body).Data.Authorization.RefreshToken
	}
	reportOps(b)
}

func BenchmarkMeHandler(b *testing.B) {
	s := fakebackend.MustNewServer(benchConfig)
	defer s.Close()
	api := s.API()
	bearer := "Bearer " + handlerLogin(b, api).Data.Authorization.AccessToken
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("GET", "/api/user/me", nil)
		req.Header.Set("Authorization", bearer)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("me: %d %s", rec.Code, rec.Body)
		}
	}
	reportOps(b)
}

// loopback starts a backend on 127.0.0.1 and a keep-alive client for it.
func loopback(b *testing.B) (*fakebackend.Running, *http.Client) {
	run, err := fakebackend.Start(context.Background(), benchConfig, fakebackend.StartOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := run.Close(context.Background()); err != nil {
			b.Error(err)
		}
	})
	return run, &http.Client{Transport: tr}
}

func post(b *testing.B, c *http.Client, url, body string) tokenAnswer {
	resp, err := c.Post(url, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("POST %s: %d", url, resp.StatusCode)
	}
	return decodeTokens(b, resp.Body)
}

func BenchmarkRefreshLoopback(b *testing.B) {
	run, c := loopback(b)
	tok := post(b, c, run.URL+"/auth/login", loginBody).Data.Authorization.RefreshToken
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%restartEvery == 0 {
			b.StopTimer()
			if err := run.Control.Reset(context.Background()); err != nil {
				b.Fatal(err)
			}
			tok = post(b, c, run.URL+"/auth/login", loginBody).Data.Authorization.RefreshToken
			b.StartTimer()
		}
		tok = post(b, c, run.URL+"/auth/refresh", `{"refresh_token":"`+tok+`"}`).Data.Authorization.RefreshToken
	}
	reportOps(b)
}

func BenchmarkMeLoopback(b *testing.B) {
	run, c := loopback(b)
	bearer := "Bearer " + post(b, c, run.URL+"/auth/login", loginBody).Data.Authorization.AccessToken
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("GET", run.URL+"/api/user/me", nil)
		req.Header.Set("Authorization", bearer)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("me: %d", resp.StatusCode)
		}
	}
	reportOps(b)
}
