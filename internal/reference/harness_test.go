package reference

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

const (
	testSecret      = "test-secret-0123456789-abcdefghijklmnop"
	otherSecret     = "another-secret-0123456789-abcdefghijklm"
	aliceEmail      = "alice@example.com"
	alicePassword   = "correct horse"
	aliceFirstName  = "Alice"
	aliceLoginJSON  = `{"email":"alice@example.com","password":"correct horse"}`
	requestDeadline = 30 * time.Second
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startBackend starts an in-process fake backend for one test.
func startBackend(t testing.TB, cfg fakebackend.Config) (*fakebackend.Running, *control.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	running, err := fakebackend.Start(ctx, cfg, fakebackend.StartOptions{})
	if err != nil {
		t.Fatalf("starting fake backend: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := running.Close(ctx); err != nil {
			t.Errorf("closing fake backend: %v", err)
		}
	})
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	ctl := control.New(running.ControlURL, &http.Client{Transport: transport, Timeout: requestDeadline})
	return running, ctl
}

// proxy is one reference instance under test, served by httptest.
type proxy struct {
	t      testing.TB
	srv    *Server
	http   *httptest.Server
	client *http.Client
	logs   *syncBuffer
}

func startProxy(t testing.TB, backendURL string, mutate ...func(*Config)) *proxy {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{
		BackendURL:     backendURL,
		Secrets:        []string{testSecret},
		CookieSecure:   true,
		BackendTimeout: 5 * time.Second,
		Logger:         slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	hs := httptest.NewServer(srv)
	transport := &http.Transport{MaxIdleConnsPerHost: 100}
	p := &proxy{
		t:    t,
		srv:  srv,
		http: hs,
		logs: logs,
		client: &http.Client{
			Transport:     transport,
			Timeout:       requestDeadline,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		hs.Close()
		srv.Close()
	})
	return p
}

// answer is a proxy response read in full.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

// SessionCookie is the session Set-Cookie of the answer, nil when none.
func (a *answer) SessionCookie() *http.Cookie {
	for _, c := range (&http.Response{Header: a.Header}).Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	return nil
}

func (a *answer) SetCookieLines() []string { return a.Header.Values("Set-Cookie") }

// Cleared says the answer tells the browser to drop the session cookie.
func (a *answer) Cleared() bool {
	c := a.SessionCookie()
	return c != nil && c.MaxAge < 0 && c.Value == ""
}

type request struct {
	method, path string
	cookie       *http.Cookie
	body         string
	contentType  string
}

func (p *proxy) do(r request) *answer {
	p.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, p.http.URL+r.path, body)
	if err != nil {
		p.t.Fatalf("building request: %v", err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	} else if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.cookie != nil {
		req.AddCookie(&http.Cookie{Name: r.cookie.Name, Value: r.cookie.Value})
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("%s %s: reading body: %v", r.method, r.path, err)
	}
	return &answer{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (p *proxy) get(path string, cookie *http.Cookie) *answer {
	return p.do(request{method: http.MethodGet, path: path, cookie: cookie})
}

// login logs Alice in through the JSON route and returns her session cookie.
func (p *proxy) login() *http.Cookie {
	p.t.Helper()
	a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
	if a.Status != http.StatusOK {
		p.t.Fatalf("login: %d %s", a.Status, a.Body)
	}
	c := a.SessionCookie()
	if c == nil || c.Value == "" {
		p.t.Fatalf("login set no session cookie: %v", a.SetCookieLines())
	}
	return c
}

func (p *proxy) form(path string, cookie *http.Cookie, values url.Values) *answer {
	return p.do(request{method: http.MethodPost, path: path, cookie: cookie, body: values.Encode(), contentType: "application/x-www-form-urlencoded"})
}

// journal returns what the backend journaled after seq since.
func journal(t testing.TB, ctl *control.Client, since int) []control.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	es, err := ctl.Journal(ctx, since)
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	return es
}

func lastSeq(t testing.TB, ctl *control.Client) int {
	es := journal(t, ctl, 0)
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Seq
}

func byRoute(es []control.Entry, route control.Route) []control.Entry {
	var out []control.Entry
	for _, e := range es {
		if e.Route == route {
			out = append(out, e)
		}
	}
	return out
}

func dumpJournal(t testing.TB, es []control.Entry) string {
	var b strings.Builder
	for _, e := range es {
		tok := e.Token
		if len(tok) > 8 {
			tok = tok[:8]
		}
		b.WriteString("  " + string(e.Route) + " status=" + itoa(e.Status) + " outcome=" + string(e.Outcome) + " token=" + tok + " body=" + e.Body + "\n")
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func expireAccess(t testing.TB, ctl *control.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	n, err := ctl.Expire(ctx, "", control.Access)
	if err != nil {
		t.Fatalf("expire access tokens: %v", err)
	}
	if n == 0 {
		t.Fatalf("expire access tokens: none expired")
	}
}

func issuedTokens(t testing.TB, ctl *control.Client) []control.Token {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	ts, err := ctl.Tokens(ctx)
	if err != nil {
		t.Fatalf("tokens: %v", err)
	}
	return ts
}

func tokenState(t testing.TB, ctl *control.Client, value string) control.TokenState {
	t.Helper()
	for _, tok := range issuedTokens(t, ctl) {
		if tok.Value == value {
			return tok.State
		}
	}
	t.Fatalf("token %.8s… was never issued", value)
	return ""
}

// assertNoTokenLeak checks that no issued token appears in the answer: body,
// headers, or the cookie value raw or base64-decoded (once or twice, which
// is how securecookie nests a signed-only value).
func assertNoTokenLeak(t testing.TB, ctl *control.Client, answers ...*answer) {
	t.Helper()
	tokens := issuedTokens(t, ctl)
	for _, a := range answers {
		haystacks := []string{a.Body}
		for name, vs := range a.Header {
			for _, v := range vs {
				haystacks = append(haystacks, name+": "+v)
			}
		}
		if c := a.SessionCookie(); c != nil {
			haystacks = append(haystacks, decodings(c.Value)...)
		}
		for _, tok := range tokens {
			for _, h := range haystacks {
				if strings.Contains(h, tok.Value) {
					t.Errorf("issued %s token %.8s… reached the client", tok.Kind, tok.Value)
				}
			}
		}
	}
}

// decodings are v and everything base64 decoding of v, and of its
// "|"-separated parts, yields.
func decodings(v string) []string {
	out := []string{v}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if d, err := enc.DecodeString(v); err == nil {
			out = append(out, string(d))
			for _, part := range strings.Split(string(d), "|") {
				for _, enc2 := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding} {
					if d2, err := enc2.DecodeString(part); err == nil {
						out = append(out, string(d2))
					}
				}
			}
		}
	}
	return out
}

// lastIssued is the newest token of kind the backend issued.
func lastIssued(t testing.TB, ctl *control.Client, kind control.TokenKind) string {
	t.Helper()
	ts := issuedTokens(t, ctl)
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Kind == kind {
			return ts[i].Value
		}
	}
	t.Fatalf("no %s token issued", kind)
	return ""
}

func queueFault(t testing.TB, ctl *control.Client, f control.Fault) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	if err := ctl.QueueFault(ctx, f); err != nil {
		t.Fatalf("queue fault: %v", err)
	}
}

// flipByte changes one character in the middle of a cookie value.
func flipByte(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// refreshIssued returns the access and refresh token a refresh entry issued.
func refreshIssued(t testing.TB, e control.Entry) (access, refresh string) {
	t.Helper()
	for _, tok := range e.Issued {
		switch tok.Kind {
		case control.Access:
			access = tok.Value
		case control.Refresh:
			refresh = tok.Value
		}
	}
	if access == "" || refresh == "" {
		t.Fatalf("refresh entry issued no pair: %+v", e)
	}
	return access, refresh
}

// newStubBackend serves h as a backend for the few cases the fake backend
// cannot produce (tokens too large for a cookie).
func newStubBackend(t testing.TB, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
