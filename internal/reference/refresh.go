package reference

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// refreshFailure says what a failed refresh means for the session.
type refreshFailure int

const (
	// refreshInvalidGrant: the backend refused the refresh token (401/400);
	// the session is dead and is destroyed.
	refreshInvalidGrant refreshFailure = iota + 1
	// refreshUnavailable: network error, timeout, 5xx, malformed answer;
	// the session is kept and the client gets 502.
	refreshUnavailable
	// refreshRateLimited: 429; the session is kept and the client gets 503.
	refreshRateLimited
	// refreshCoordinationFailed: with REDIS_URL, Redis failed or another
	// instance's refresh of the token did not finish in time; no refresh
	// was made, the session is kept and the client gets 503.
	refreshCoordinationFailed
)

// refreshError is a failed refresh, classified.
type refreshError struct {
	kind       refreshFailure
	status     int    // the backend's status, 0 when there was no answer
	retryAfter string // from a 429
	err        error
}

func (e *refreshError) Error() string { return "refresh: " + e.err.Error() }
func (e *refreshError) Unwrap() error { return e.err }

// rotatedTokens are what a successful refresh returned.
type rotatedTokens struct {
	Access  string
	Refresh string
}

// refreshed is a successful refresh as every request that shares it sees
// it: the tokens, and the rotated session cookie sealed once, so that all of
// them send the browser byte-identical Set-Cookie lines.
type refreshed struct {
	tokens  rotatedTokens
	cookie  *http.Cookie
	sealErr error // the rotated session could not be stored (too large)
}

// sealFunc seals the session of the request that leads a shared refresh
// with the rotated tokens.
type sealFunc func(rotatedTokens) (*http.Cookie, error)

// Bounds of the recent-refresh memory: long enough for requests that left
// the browser with the old cookie just before the refresh finished, short
// enough that a stolen old cookie is worth little.
const (
	recentRefreshTTL = 30 * time.Second
	recentRefreshCap = 4096
)

// refresher runs one refresh per refresh token at a time. Concurrent
// requests of one session share a singleflight call; requests that arrive
// with the old cookie just after it finished get its result from a short
// memory instead of presenting the used token again (which the backend
// would take for reuse and answer by revoking the family).
//
// Both live in one process. With REDIS_URL, shared extends them across the
// instances that share the Redis (sharedrefresh.go).
type refresher struct {
	backend *backendClient
	log     *slog.Logger
	now     func() time.Time
	group   singleflight.Group
	recent  *recentRefreshes
	shared  *sharedRefresh // nil without REDIS_URL
}

func newRefresher(b *backendClient, log *slog.Logger, now func() time.Time) *refresher {
	return &refresher{backend: b, log: log, now: now, recent: newRecentRefreshes(recentRefreshTTL, recentRefreshCap, now)}
}

// refresh exchanges refreshToken for a rotated pair. The backend call runs
// under context.WithoutCancel plus the backend timeout, so one caller giving
// up does not fail the others waiting on the same call.
func (r *refresher) refresh(ctx context.Context, refreshToken string, seal sealFunc) (refreshed, error) {
	key := refreshToken
	if t, ok := r.recent.get(key); ok {
		r.log.Debug("refresh answered from recent memory", "token", fingerprint(refreshToken))
		return t, nil
	}
	ch := r.group.DoChan(key, func() (any, error) {
		// A call that finished between the check above and this one has
		// already stored its result: presenting the token again would be reuse.
		if t, ok := r.recent.get(key); ok {
			return t, nil
		}
		t, err := r.callAndSeal(context.WithoutCancel(ctx), refreshToken, seal)
		if err == nil {
			r.recent.put(key, t)
		}
		return t, err
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return refreshed{}, res.Err
		}
		return res.Val.(refreshed), nil
	case <-ctx.Done():
		return refreshed{}, &refreshError{kind: refreshUnavailable, err: fmt.Errorf("client went away: %w", ctx.Err())}
	}
}

func (r *refresher) callAndSeal(ctx context.Context, refreshToken string, seal sealFunc) (refreshed, error) {
	exchange := r.call
	if r.shared != nil {
		exchange = func(ctx context.Context, token string) (rotatedTokens, error) {
			return r.shared.exchange(ctx, token, r.call)
		}
	}
	t, err := exchange(ctx, refreshToken)
	if err != nil {
		return refreshed{}, err
	}
	c, err := seal(t)
	return refreshed{tokens: t, cookie: c, sealErr: err}, nil
}

// call makes one refresh call (the mapping's refresh request) and logs it.
func (r *refresher) call(ctx context.Context, refreshToken string) (rotatedTokens, error) {
	start := time.Now()
	ans, err := r.backend.refresh(ctx, refreshToken)
	t, rerr := r.classify(ans, err)
	attrs := []any{"token", fingerprint(refreshToken), "duration", time.Since(start).Round(time.Microsecond)}
	if ans != nil {
		attrs = append(attrs, "status", ans.Status)
	}
	if rerr != nil {
		attrs = append(attrs, "outcome", outcomeName(rerr), "error", rerr.err.Error())
		r.log.Warn("refresh", attrs...)
		return rotatedTokens{}, rerr
	}
	attrs = append(attrs, "outcome", "rotated", "new_token", fingerprint(t.Refresh))
	r.log.Info("refresh", attrs...)
	return t, nil
}

func (r *refresher) classify(ans *backendAnswer, err error) (rotatedTokens, *refreshError) {
	if err != nil {
		return rotatedTokens{}, &refreshError{kind: refreshUnavailable, err: err}
	}
	switch {
	case ans.Status == http.StatusOK:
		t, err := r.backend.readTokens(ans.Body)
		if err != nil {
			return rotatedTokens{}, &refreshError{kind: refreshUnavailable, status: ans.Status, err: err}
		}
		return rotatedTokens{Access: t.Access, Refresh: t.Refresh}, nil
	case ans.Status == http.StatusUnauthorized || ans.Status == http.StatusBadRequest:
		return rotatedTokens{}, &refreshError{kind: refreshInvalidGrant, status: ans.Status, err: fmt.Errorf("backend refused the refresh token (%d)", ans.Status)}
	case ans.Status == http.StatusTooManyRequests:
		return rotatedTokens{}, &refreshError{kind: refreshRateLimited, status: ans.Status, retryAfter: ans.RetryAfter, err: errors.New("rate limited")}
	case ans.Status >= 500:
		return rotatedTokens{}, &refreshError{kind: refreshUnavailable, status: ans.Status, err: fmt.Errorf("backend error %d", ans.Status)}
	default:
		return rotatedTokens{}, &refreshError{kind: refreshUnavailable, status: ans.Status, err: fmt.Errorf("unexpected status %d", ans.Status)}
	}
}

func outcomeName(e *refreshError) string {
	switch {
	case e.kind == refreshInvalidGrant:
		return "invalid_grant"
	case e.kind == refreshRateLimited:
		return "rate_limited"
	case errors.Is(e.err, errMalformedAnswer):
		return "malformed_answer"
	case e.status == 0:
		return "network_error"
	default:
		return "backend_error"
	}
}

// fingerprint names a token in logs without revealing it: the first 8 hex
// digits of its SHA-256, the format of the fake backend's control.Fingerprint,
// so that a reference log line and the fake backend's journal can be matched.
// It is a copy, not a call: the reference is the model app a team reads and
// copies, and it imports nothing of the test double it is tested against.
func fingerprint(token string) string {
	if token == "" {
		return "(none)"
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:4])
}

// recentRefreshes remembers, for a short time, which rotated pair each
// refresh token was exchanged for. Insertion order is expiry order, so a
// FIFO queue is enough to bound both age and size.
type recentRefreshes struct {
	ttl   time.Duration
	limit int
	now   func() time.Time

	mu    sync.Mutex
	byKey map[string]recentRefresh
	order []queuedKey // oldest first; an entry whose time no longer matches byKey is stale
}

type recentRefresh struct {
	result refreshed
	at     time.Time
}

type queuedKey struct {
	key string
	at  time.Time
}

func newRecentRefreshes(ttl time.Duration, limit int, now func() time.Time) *recentRefreshes {
	return &recentRefreshes{ttl: ttl, limit: limit, now: now, byKey: make(map[string]recentRefresh)}
}

func (c *recentRefreshes) get(key string) (refreshed, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok || c.now().Sub(e.at) > c.ttl {
		return refreshed{}, false
	}
	return e.result, true
}

func (c *recentRefreshes) put(key string, t refreshed) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for len(c.order) > 0 {
		front := c.order[0]
		cur, ok := c.byKey[front.key]
		switch {
		case !ok || !cur.at.Equal(front.at):
			// stale: the key was stored again later, or already dropped
		case now.Sub(cur.at) > c.ttl || len(c.byKey) >= c.limit:
			delete(c.byKey, front.key)
		default:
			c.byKey[key] = recentRefresh{result: t, at: now}
			c.order = append(c.order, queuedKey{key: key, at: now})
			return
		}
		c.order = c.order[1:]
	}
	c.byKey[key] = recentRefresh{result: t, at: now}
	c.order = append(c.order, queuedKey{key: key, at: now})
}

func (c *recentRefreshes) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
