package reference

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// TestRefreshIsLoggedWithAFingerprint: one line per refresh attempt, with
// its outcome and a fingerprint, and no token anywhere in the log.
func TestRefreshIsLoggedWithAFingerprint(t *testing.T) {
	be, ctl := startBackend(t, fakebackend.Config{})
	p := startProxy(t, be.URL)
	cookie := p.login()
	refresh := lastIssued(t, ctl, control.Refresh)
	expireAccess(t, ctl)
	a := p.get("/api/me", cookie)
	queueFault(t, ctl, control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 500})
	expireAccess(t, ctl)
	p.get("/api/me", a.SessionCookie())

	var lines []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(p.logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("log line is not JSON: %q", raw)
		}
		if l["msg"] == "refresh" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want 2 refresh log lines, got %d:\n%s", len(lines), p.logs.String())
	}
	if lines[0]["outcome"] != "rotated" || lines[0]["token"] != fingerprint(refresh) {
		t.Errorf("first refresh line: %v", lines[0])
	}
	if lines[1]["outcome"] != "backend_error" {
		t.Errorf("second refresh line: %v", lines[1])
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(fingerprint(refresh)) {
		t.Errorf("fingerprint %q is not 8 hex digits", fingerprint(refresh))
	}
	logs := p.logs.String()
	for _, tok := range issuedTokens(t, ctl) {
		if strings.Contains(logs, tok.Value) {
			t.Errorf("a %s token is in the log", tok.Kind)
		}
	}
}

func TestPanicAnswers500JSON(t *testing.T) {
	logs := &syncBuffer{}
	s := &Server{log: slog.New(slog.NewJSONHandler(logs, nil))}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 500 || !json.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), `"success":false`) {
		t.Errorf("panic: %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic was not logged")
	}
}

func TestConfigFromEnv(t *testing.T) {
	good := map[string]string{
		EnvBackendURL:    "http://127.0.0.1:8081/",
		EnvSessionSecret: testSecret + "," + otherSecret,
	}
	env := func(over map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := over[k]; ok {
				return v
			}
			return good[k]
		}
	}
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatalf("good env: %v", err)
	}
	if cfg.BackendURL != "http://127.0.0.1:8081" || len(cfg.Secrets) != 2 || cfg.Secrets[0] != testSecret || !cfg.CookieSecure || cfg.BackendTimeout != DefaultBackendTimeout {
		t.Errorf("config: %+v", cfg)
	}
	cfg, err = ConfigFromEnv(env(map[string]string{EnvCookieSecure: "false", EnvBackendTimeout: "250ms"}))
	if err != nil || cfg.CookieSecure || cfg.BackendTimeout != 250*time.Millisecond {
		t.Errorf("COOKIE_SECURE=false BACKEND_TIMEOUT=250ms: %+v %v", cfg, err)
	}
	for _, tc := range []struct {
		over map[string]string
		name string
	}{
		{map[string]string{EnvBackendURL: ""}, EnvBackendURL},
		{map[string]string{EnvBackendURL: "127.0.0.1:8081"}, EnvBackendURL},
		{map[string]string{EnvSessionSecret: ""}, EnvSessionSecret},
		{map[string]string{EnvSessionSecret: "short"}, EnvSessionSecret},
		{map[string]string{EnvSessionSecret: testSecret + ",short"}, EnvSessionSecret},
		{map[string]string{EnvSessionSecret: testSecret + ","}, EnvSessionSecret},
		{map[string]string{EnvCookieSecure: "maybe"}, EnvCookieSecure},
		{map[string]string{EnvBackendTimeout: "5"}, EnvBackendTimeout},
		{map[string]string{EnvBackendTimeout: "-1s"}, EnvBackendTimeout},
	} {
		_, err := ConfigFromEnv(env(tc.over))
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%v: error %v should name %s", tc.over, err, tc.name)
		}
		if err != nil && strings.Contains(err.Error(), "short") && tc.name == EnvSessionSecret {
			t.Errorf("the error echoes the secret: %v", err)
		}
	}
}

// TestRun starts the proxy as cmd/reference does, on a free port, and
// shuts it down through the context.
func TestRun(t *testing.T) {
	be, _ := startBackend(t, fakebackend.Config{})
	env := map[string]string{
		EnvBackendURL:    be.URL,
		EnvSessionSecret: testSecret,
		EnvCookieSecure:  "false",
		EnvPort:          "0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, func(k string) string { return env[k] }, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	sc := bufio.NewScanner(stdoutR)
	if !sc.Scan() {
		t.Fatalf("Run printed nothing: %v", <-done)
	}
	addr := regexp.MustCompile(`http://\S+`).FindString(sc.Text())
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	addr = strings.Replace(addr, "[::]", "127.0.0.1", 1)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: requestDeadline}).Get(addr + "/login")
	if err != nil {
		t.Fatalf("GET /login on %s: %v", addr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /login: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}

	err = Run(context.Background(), func(k string) string {
		if k == EnvSessionSecret {
			return "too-short"
		}
		return env[k]
	}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), EnvSessionSecret) {
		t.Errorf("Run with a short secret: %v", err)
	}
}

func TestRecentRefreshesAreBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newRecentRefreshes(30*time.Second, 3, func() time.Time { return now })
	for _, k := range []string{"a", "b", "c", "d"} {
		c.put(k, refreshed{tokens: rotatedTokens{Access: k}})
	}
	if c.size() != 3 {
		t.Errorf("size %d over the cap 3", c.size())
	}
	if _, ok := c.get("a"); ok {
		t.Errorf("the oldest entry survived the cap")
	}
	if r, ok := c.get("d"); !ok || r.tokens.Access != "d" {
		t.Errorf("the newest entry is missing")
	}
	now = now.Add(31 * time.Second)
	if _, ok := c.get("d"); ok {
		t.Errorf("an entry outlived its 30 s")
	}
	c.put("e", refreshed{})
	if c.size() != 1 {
		t.Errorf("expired entries kept: size %d", c.size())
	}
}
