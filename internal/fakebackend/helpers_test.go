package fakebackend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	aliceEmail    = "alice@example.com"
	alicePassword = "correct horse"
)

// backend is a fake backend on loopback listeners with an API client and a
// control client whose connections end with the test.
type backend struct {
	t    *testing.T
	run  *fakebackend.Running
	http *http.Client
	ctl  *control.Client
}

func startBackend(t *testing.T, cfg fakebackend.Config) *backend {
	t.Helper()
	run, err := fakebackend.Start(context.Background(), cfg, fakebackend.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	tr := &http.Transport{}
	b := &backend{t: t, run: run, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	b.ctl = control.New(run.ControlURL, b.http)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := run.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		tr.CloseIdleConnections()
	})
	return b
}

// answer is one API response, with its body decoded when it is JSON.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// get reads a value at a dotted path such as "data.authorization.access_token".
func (a answer) get(path string) any {
	var v any = a.body
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

func (a answer) str(path string) string {
	s, _ := a.get(path).(string)
	return s
}

func (b *backend) do(method, path, body string, header ...string) answer {
	b.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.run.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.send(req)
}

// send does req and reads the answer.
func (b *backend) send(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: reading: %v", req.Method, req.URL.Path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &a.body)
	}
	return a
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (b *backend) login(email, password string) answer {
	b.t.Helper()
	return b.do("POST", "/auth/login", jsonBody(map[string]string{"email": email, "password": password}))
}

// pair is the tokens of a login or refresh answer.
type pair struct{ access, refresh string }

func (b *backend) loginAlice() pair {
	b.t.Helper()
	a := b.login(aliceEmail, alicePassword)
	if a.status != 200 {
		b.t.Fatalf("login: %d %s", a.status, a.raw)
	}
	return pair{a.str("data.authorization.access_token"), a.str("data.authorization.refresh_token")}
}

func (b *backend) refresh(token string) answer {
	b.t.Helper()
	return b.do("POST", "/auth/refresh", jsonBody(map[string]string{"refresh_token": token}))
}

func (b *backend) mustRefresh(token string) pair {
	b.t.Helper()
	a := b.refresh(token)
	if a.status != 200 {
		b.t.Fatalf("refresh: %d %s", a.status, a.raw)
	}
	return pair{a.str("data.authorization.access_token"), a.str("data.authorization.refresh_token")}
}

func (b *backend) me(access string) answer {
	b.t.Helper()
	if access == "" {
		return b.do("GET", "/api/user/me", "")
	}
	return b.do("GET", "/api/user/me", "", "Authorization", "Bearer "+access)
}

func (b *backend) journal() []control.Entry {
	b.t.Helper()
	es, err := b.ctl.Journal(context.Background(), 0)
	if err != nil {
		b.t.Fatal(err)
	}
	return es
}

func (b *backend) last() control.Entry {
	b.t.Helper()
	es := b.journal()
	if len(es) == 0 {
		b.t.Fatal("the journal is empty")
	}
	return es[len(es)-1]
}

func (b *backend) patch(p control.SettingsPatch) control.Settings {
	b.t.Helper()
	s, err := b.ctl.UpdateSettings(context.Background(), p)
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b *backend) advance(d time.Duration) {
	b.t.Helper()
	if _, err := b.ctl.AdvanceClock(context.Background(), d); err != nil {
		b.t.Fatal(err)
	}
}

func (b *backend) queue(f control.Fault) {
	b.t.Helper()
	if err := b.ctl.QueueFault(context.Background(), f); err != nil {
		b.t.Fatal(err)
	}
}

func expectStatus(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d, want %d; body %s", a.status, status, a.raw)
	}
	if a.body == nil {
		t.Fatalf("body is not JSON: %q (Content-Type %q)", a.raw, a.header.Get("Content-Type"))
	}
	wantSuccess := status/100 == 2
	if a.get("success") != wantSuccess {
		t.Errorf("success = %v, want %v; body %s", a.get("success"), wantSuccess, a.raw)
	}
	if code != "" && a.str("error") != code {
		t.Errorf("error = %q, want %q; body %s", a.str("error"), code, a.raw)
	}
	if !wantSuccess && a.str("message") == "" {
		t.Errorf("a failure without a message: %s", a.raw)
	}
}

func expectEntry(t *testing.T, e control.Entry, route control.Route, status int, outcome control.Outcome) {
	t.Helper()
	if e.Route != route || e.Status != status || e.Outcome != outcome {
		t.Fatalf("journal entry = %s %d %s, want %s %d %s", e.Route, e.Status, e.Outcome, route, status, outcome)
	}
}

// lockedBuffer is a bytes.Buffer that a logger and a test can share.
type lockedBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{mu: make(chan struct{}, 1)} }

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.buf.String()
}

// awaitEntry polls the journal until an entry matches, for requests whose
// client saw the end (a dropped connection, a deadline) before the server
// journaled them.
func (b *backend) awaitEntry(match func(control.Entry) bool) control.Entry {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, e := range b.journal() {
			if match(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatal("no such journal entry")
		}
		<-time.After(5 * time.Millisecond)
	}
}
