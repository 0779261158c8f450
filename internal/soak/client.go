package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/reference"
)

// session is one browser: a user and its cookie. Its mutex is held for the
// whole of one action, so a session never has two actions in flight (a
// burst is one action of several concurrent requests), and chaos that
// concerns it waits.
type session struct {
	mu      sync.Mutex
	user    fakebackend.User
	cookie  string
	logins  int  // successful logins so far; famKey.login of the current family
	revoked bool // its family was revoked on purpose and no answer said so yet
}

func (s *session) key() famKey { return famKey{user: s.user.ID, login: s.logins} }

// outcome is how the soak reads one answer.
type outcome int

const (
	outcomeOK         outcome = iota
	outcomeLoggedOut          // 401, redirect to /login, cookie cleared
	outcomeBackend5xx         // 502 or 503: the backend failed; may be a fault
	outcomeRateLimit          // a 429 passed through from the resource
	outcomeUnexpected         // anything else: a 500, a wrong user, a 4xx
)

// answer is one response, read in full.
type answer struct {
	status  int
	header  http.Header
	body    []byte
	cookie  *http.Cookie // the session Set-Cookie, nil when none
	err     error
	outcome outcome
	why     string // for outcomeUnexpected
}

// counters are the soak's request figures, updated by every worker.
type counters struct {
	requests, api, pages, patches, bursts atomic.Int64
	ok, backend5xx, passed429             atomic.Int64
	initialLogins, relogins               atomic.Int64
	loginFailures                         atomic.Int64
	lost, revokedLoggedOut                atomic.Int64
	unexpected5xx, unexpectedOther        atomic.Int64
	wrongUser, divergent                  atomic.Int64
	transportErrors                       atomic.Int64
}

// client sends the soak's requests to the proxy and reads the answers.
type client struct {
	base  string
	http  *http.Client
	leaks *leakScanner
	n     *counters

	detailMu sync.Mutex
	details  []string // the first few unexpected answers, for the report
}

func (c *client) note(format string, a ...any) {
	c.detailMu.Lock()
	defer c.detailMu.Unlock()
	if len(c.details) < 20 {
		c.details = append(c.details, fmt.Sprintf(format, a...))
	}
}

func (c *client) do(ctx context.Context, method, path, cookie string, body []byte) *answer {
	c.n.requests.Add(1)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return &answer{err: err, outcome: outcomeUnexpected, why: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: reference.CookieName, Value: cookie})
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.n.transportErrors.Add(1)
		return &answer{err: err, outcome: outcomeUnexpected, why: "no answer: " + err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.n.transportErrors.Add(1)
		return &answer{err: err, outcome: outcomeUnexpected, why: "answer cut: " + err.Error()}
	}
	a := &answer{status: resp.StatusCode, header: resp.Header, body: raw}
	for _, ck := range resp.Cookies() {
		if ck.Name == reference.CookieName {
			a.cookie = ck
		}
	}
	c.leaks.response(resp.Header, raw)
	return a
}

// classify reads a for a request of u to path.
func classify(a *answer, u fakebackend.User, path string) {
	if a.err != nil {
		return
	}
	cleared := a.cookie != nil && (a.cookie.Value == "" || a.cookie.MaxAge < 0)
	switch {
	case cleared, a.status == http.StatusUnauthorized,
		a.status == http.StatusSeeOther && a.header.Get("Location") == "/login":
		a.outcome = outcomeLoggedOut
	case a.status == http.StatusBadGateway || a.status == http.StatusServiceUnavailable:
		a.outcome = outcomeBackend5xx
	case a.status == http.StatusTooManyRequests && path != "/login":
		a.outcome = outcomeRateLimit
	case a.status == http.StatusOK:
		if !rightUser(a, u, path) {
			a.outcome, a.why = outcomeUnexpected, "another user's answer"
		}
	default:
		a.outcome, a.why = outcomeUnexpected, fmt.Sprintf("status %d", a.status)
	}
}

// rightUser says a 200 answer is the session's user's.
func rightUser(a *answer, u fakebackend.User, path string) bool {
	if path == "/profile" {
		return bytes.Contains(a.body, []byte(`id="first-name">`+u.FirstName+`<`))
	}
	var env struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	return json.Unmarshal(a.body, &env) == nil && env.Data.ID == u.ID
}

// login logs s in; the caller holds s.mu.
func (c *client) login(ctx context.Context, s *session) bool {
	body, _ := json.Marshal(map[string]string{"email": s.user.Email, "password": s.user.Password})
	a := c.do(ctx, http.MethodPost, "/login", "", body)
	if a.err != nil || a.status != http.StatusOK || a.cookie == nil || a.cookie.Value == "" {
		c.n.loginFailures.Add(1)
		c.note("login of %s: %d %v %.120s", s.user.ID, a.status, a.err, a.body)
		return false
	}
	s.cookie = a.cookie.Value
	s.logins++
	s.revoked = false
	return true
}

// settle applies the answers of one action to s and the books: the new
// cookie, a logout (deliberate or lost), backend failures, surprises. The
// caller holds s.mu.
func (c *client) settle(ctx context.Context, l *ledger, s *session, path string, answers []*answer) {
	k := s.key()
	var cookies []string
	loggedOut, failed := false, false
	for _, a := range answers {
		classify(a, s.user, path)
		switch a.outcome {
		case outcomeOK:
			c.n.ok.Add(1)
		case outcomeLoggedOut:
			loggedOut = true
		case outcomeBackend5xx:
			c.n.backend5xx.Add(1)
			failed = true
		case outcomeRateLimit:
			c.n.passed429.Add(1)
		case outcomeUnexpected:
			switch {
			case a.err != nil: // counted as a transport error
			case a.status >= 500:
				c.n.unexpected5xx.Add(1)
			case a.why == "another user's answer":
				c.n.wrongUser.Add(1)
			default:
				c.n.unexpectedOther.Add(1)
			}
			c.note("%s %s of %s: %s: %.160s", k, path, s.user.ID, a.why, a.body)
		}
		if a.cookie != nil && a.cookie.Value != "" && a.cookie.MaxAge >= 0 && !contains(cookies, a.cookie.Value) {
			cookies = append(cookies, a.cookie.Value)
		}
	}
	if failed {
		l.with(k, func(b *famBook) { b.incidents++ })
	}
	if len(cookies) > 1 {
		// Requests of one refresh must all carry the same rotated session.
		c.n.divergent.Add(1)
		c.note("%s: a burst got %d different session cookies", k, len(cookies))
	}
	if len(cookies) > 0 {
		s.cookie = cookies[len(cookies)-1]
	}
	if !loggedOut {
		return
	}
	if s.revoked {
		c.n.revokedLoggedOut.Add(1)
	} else {
		c.n.lost.Add(1)
		c.note("session %s lost on %s: %s", k, path, describe(answers))
	}
	if c.login(ctx, s) {
		c.n.relogins.Add(1)
	}
}

func describe(answers []*answer) string {
	var parts []string
	for _, a := range answers {
		parts = append(parts, fmt.Sprintf("%d %.100s", a.status, strings.TrimSpace(string(a.body))))
	}
	return strings.Join(parts, " | ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
