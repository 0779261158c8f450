package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The paths of the control API, relative to its base URL.
const (
	PathReset    = "/control/reset"
	PathSettings = "/control/settings" // GET, PATCH
	PathClock    = "/control/clock"    // GET
	PathAdvance  = "/control/clock/advance"
	PathExpire   = "/control/expire"
	PathRevoke   = "/control/revoke"
	PathFaults   = "/control/faults" // POST queues one, DELETE clears all
	PathJournal  = "/control/journal"
	PathTokens   = "/control/tokens"
	PathCounts   = "/control/counts"
	PathStats    = "/control/stats"
	PathSweep    = "/control/sweep"
	PathHealth   = "/healthz"
)

// AdvanceRequest is the body of PathAdvance.
type AdvanceRequest struct {
	By Duration `json:"by"`
}

// RevokeRequest is the body of PathRevoke.
type RevokeRequest struct {
	Family string `json:"family"`
}

// Affected is the answer of operations that touch tokens.
type Affected struct {
	Tokens int `json:"tokens"`
}

// Client talks to one fake backend's control API.
//
// A call the control API refuses returns an *Error, which carries the HTTP
// status and the API's error code:
//
//	var ce *control.Error
//	if errors.As(err, &ce) && ce.Code == "unknown_family" { ... }
//
// A call that never got an answer (connection refused, timeout, a cancelled
// context) returns the transport's error wrapped with the call, for errors.Is.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the control API at baseURL (such as
// "http://127.0.0.1:8081"). A nil httpClient means one with a 10 s timeout.
func New(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: httpClient}
}

// BaseURL is the control API's base URL.
func (c *Client) BaseURL() string { return c.base }

// Reset forgets every family, token, journal entry, count and queued fault,
// puts the clock back and restores the settings the backend started with.
func (c *Client) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, PathReset, nil, nil)
}

// Settings returns the current run-time settings.
func (c *Client) Settings(ctx context.Context) (Settings, error) {
	var s Settings
	err := c.do(ctx, http.MethodGet, PathSettings, nil, &s)
	return s, err
}

// UpdateSettings changes the fields of p that are set and returns the result.
// New TTLs apply to tokens issued from then on.
func (c *Client) UpdateSettings(ctx context.Context, p SettingsPatch) (Settings, error) {
	var s Settings
	err := c.do(ctx, http.MethodPatch, PathSettings, p, &s)
	return s, err
}

// Clock returns the backend's current time.
func (c *Client) Clock(ctx context.Context) (Clock, error) {
	var k Clock
	err := c.do(ctx, http.MethodGet, PathClock, nil, &k)
	return k, err
}

// AdvanceClock moves the backend's clock forward by d: tokens whose life ends
// before the new now are expired, exactly as if d had passed.
func (c *Client) AdvanceClock(ctx context.Context, d time.Duration) (Clock, error) {
	var k Clock
	err := c.do(ctx, http.MethodPost, PathAdvance, AdvanceRequest{By: Duration(d)}, &k)
	return k, err
}

// Expire expires now the tokens of kind of one family, or of all families
// when family is "".
func (c *Client) Expire(ctx context.Context, family string, kind TokenKind) (int, error) {
	var a Affected
	err := c.do(ctx, http.MethodPost, PathExpire, ExpireRequest{Family: family, Kind: kind}, &a)
	return a.Tokens, err
}

// Revoke revokes a whole family, as reuse detection would.
func (c *Client) Revoke(ctx context.Context, family string) (int, error) {
	var a Affected
	err := c.do(ctx, http.MethodPost, PathRevoke, RevokeRequest{Family: family}, &a)
	return a.Tokens, err
}

// QueueFault queues f for the next f.Count calls of f.Route.
func (c *Client) QueueFault(ctx context.Context, f Fault) error {
	return c.do(ctx, http.MethodPost, PathFaults, f, nil)
}

// ClearFaults drops every queued fault.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, PathFaults, nil, nil)
}

// Journal returns the journaled requests whose Seq is greater than since, in
// order. Journal(ctx, 0) is the whole journal since the last reset.
func (c *Client) Journal(ctx context.Context, since int) ([]Entry, error) {
	var es []Entry
	err := c.do(ctx, http.MethodGet, PathJournal+"?since="+strconv.Itoa(since), nil, &es)
	return es, err
}

// Tokens returns every token issued since the last reset.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var ts []Token
	err := c.do(ctx, http.MethodGet, PathTokens, nil, &ts)
	return ts, err
}

// Counts returns request counts per route and outcome since the last reset.
func (c *Client) Counts(ctx context.Context) (Counts, error) {
	cs := Counts{}
	err := c.do(ctx, http.MethodGet, PathCounts, nil, &cs)
	return cs, err
}

// Stats describes the store.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.do(ctx, http.MethodGet, PathStats, nil, &s)
	return s, err
}

// Sweep drops expired and revoked families now (the backend also sweeps on
// its own) and returns the store's stats afterwards.
func (c *Client) Sweep(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.do(ctx, http.MethodPost, PathSweep, nil, &s)
	return s, err
}

// Healthy reports whether the control API answers its health check.
func (c *Client) Healthy(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, PathHealth, nil, nil)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("control: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("control: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("control: %s %s: reading answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return answerError(method, path, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("control: %s %s: decoding answer: %w", method, path, err)
	}
	return nil
}

// answerError turns a non-2xx answer into an *Error. An answer that is not the
// control API's JSON (a proxy's error page, a server that is not a fake
// backend) still gives one, with its status and the start of its body as the
// message, so callers can branch on Status alone.
func answerError(method, path string, status int, raw []byte) *Error {
	e := &Error{}
	if json.Unmarshal(raw, e) != nil || (e.Code == "" && e.Message == "") {
		e = &Error{Message: truncate(strings.TrimSpace(string(raw)), 200)}
	}
	e.Success, e.Status, e.Method, e.Path = false, status, method, path
	return e
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Error says which call failed and why, prefixed "control: " as the errors of
// golang.org/x/oauth2 are prefixed with their package.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("control: ")
	if e.Method != "" || e.Path != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	fmt.Fprintf(&b, "%d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// ParseURL checks that raw is an absolute http(s) URL, for flags and
// profiles that name a control API.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return u, nil
}
