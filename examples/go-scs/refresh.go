package main

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// rotationMemory is how long the refresher remembers a rotation: a request
// that loaded the session before the rotated tokens were committed still
// carries the used refresh token, and gets the rotated pair from memory
// instead of presenting it again (the backend would take that for reuse and
// revoke the family).
const rotationMemory = 30 * time.Second

// refresher makes one backend refresh per refresh token, however many
// requests meet the 401 together. scs loads a session per request and locks
// nothing across them, so ten concurrent requests of one session each load
// the same refresh token.
type refresher struct {
	backend *backend
	group   singleflight.Group

	mu     sync.Mutex
	recent map[[sha256.Size]byte]rotation // keyed by the used refresh token's hash
}

type rotation struct {
	next tokens
	at   time.Time
}

func newRefresher(b *backend) *refresher {
	return &refresher{backend: b, recent: make(map[[sha256.Size]byte]rotation)}
}

// refresh returns the pair that replaces used. The backend call runs
// without the request's cancellation (other requests may be waiting on it)
// and with its own BACKEND_TIMEOUT.
func (rf *refresher) refresh(ctx context.Context, used string) (tokens, error) {
	if t, ok := rf.rotated(used); ok {
		return t, nil
	}
	key := sha256.Sum256([]byte(used))
	v, err, _ := rf.group.Do(string(key[:]), func() (any, error) {
		// A flight for this token may have landed between the look-up
		// above and this one starting.
		if t, ok := rf.rotated(used); ok {
			return t, nil
		}
		t, err := rf.backend.refresh(context.WithoutCancel(ctx), used)
		if err != nil {
			return tokens{}, err
		}
		rf.remember(key, t)
		return t, nil
	})
	if err != nil {
		return tokens{}, err
	}
	return v.(tokens), nil
}

// rotated follows the remembered rotations from used to the newest pair,
// so that a straggler never saves a pair that has itself been rotated away.
func (rf *refresher) rotated(used string) (tokens, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	var newest tokens
	found := false
	key := sha256.Sum256([]byte(used))
	for range len(rf.recent) {
		r, ok := rf.recent[key]
		if !ok || time.Since(r.at) > rotationMemory {
			break
		}
		newest, found = r.next, true
		key = sha256.Sum256([]byte(r.next.refresh))
	}
	return newest, found
}

func (rf *refresher) remember(used [sha256.Size]byte, next tokens) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	now := time.Now()
	for k, r := range rf.recent {
		if now.Sub(r.at) > rotationMemory {
			delete(rf.recent, k)
		}
	}
	rf.recent[used] = rotation{next: next, at: now}
}
