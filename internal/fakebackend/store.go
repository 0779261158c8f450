package fakebackend

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// Bounds that keep the store from growing without limit however long the
// backend runs: a soak or a long-lived container must not exhaust memory.
const (
	defaultJournalCap      = 100_000  // newest entries kept
	defaultJournalBodyCap  = 64 << 20 // bytes of journaled bodies kept
	journalBodyLimit       = 64 << 10 // bytes of one request body journaled
	maxRequestBody         = 1 << 20  // larger bodies get 413
	backgroundSweepPeriod  = time.Minute
	tokenRandomBytes       = 32
	retryAfterFaultSeconds = "1"
)

// token is one issued token; its State is derived from its family and the
// clock when it is read, so expiry needs no timer.
type token struct {
	value      string
	kind       control.TokenKind
	fam        *family
	generation int
	issuedAt   time.Time
	ttl        time.Duration // the life it was issued with; expiresAt may be cut short by the control API
	expiresAt  time.Time
	used       bool // a refresh token rotated away
	usedAt     time.Time
	reuses     int    // reuses forgiven inside the grace period
	next       *token // the refresh token its rotation issued
	nextAccess *token // and the access token
}

// revoked reports whether t died with its family: a family revoked for
// reuse may keep its access tokens (rotation.revoke_access false).
func (t *token) revoked() bool {
	if t.kind == control.Access {
		return t.fam.accessRevoked
	}
	return t.fam.revoked
}

func (t *token) expired(now time.Time) bool { return !now.Before(t.expiresAt) }

func (t *token) state(now time.Time) control.TokenState {
	switch {
	case t.revoked():
		return control.StateRevoked
	case t.used:
		return control.StateUsed
	case t.expired(now):
		return control.StateExpired
	}
	return control.StateActive
}

func (t *token) wire(now time.Time) control.Token {
	return control.Token{
		Value: t.value, Kind: t.kind, Family: t.fam.id, Generation: t.generation,
		UserID: t.fam.userID, IssuedAt: t.issuedAt, ExpiresAt: t.expiresAt, State: t.state(now),
	}
}

// family is the tokens of one login. current is the newest pair, which the
// grace window hands out again when the previous refresh token comes back.
type family struct {
	id        string
	userID    string
	revoked   bool // its refresh tokens
	revokedAt time.Time
	// accessRevoked: its access tokens too (every revocation but a reuse
	// under a rotation whose revoke_access is false).
	accessRevoked bool
	tokens        []*token
	access        *token // newest access token
	refresh       *token // newest refresh token
	// generation counts the refreshes of the family; each pair issued by a
	// refresh carries it.
	generation int
	// prevRefresh is the refresh token the last rotation consumed, the only
	// one the grace window forgives, and rotatedAt when that happened.
	prevRefresh *token
	rotatedAt   time.Time
	// scope is what the login was granted (oauth2), which every refresh
	// answer of the family repeats.
	scope string
}

// deadAt says whether no token of the family can work any more: it was
// revoked, or every one of its tokens has expired.
func (f *family) dead(now time.Time) bool {
	if f.revoked && f.accessRevoked {
		return true
	}
	for _, t := range f.tokens {
		if !t.expired(now) && !t.revoked() {
			return false
		}
	}
	return true
}

// state is everything Reset forgets.
type state struct {
	offset      time.Duration
	settings    settings
	users       []*User // in seed order
	families    map[string]*family
	tokens      map[string]*token
	issued      []*token // in issue order, for the control API
	nextFamily  int
	journal     []control.Entry
	journalSize int // bytes of bodies in journal
	nextSeq     int
	counts      control.Counts
	faults      map[control.Route][]*control.Fault
	perFamily   map[string][]time.Time
	perAddress  map[string][]time.Time
}

func newState(cfg Config) *state {
	st := &state{
		settings:   cfg.settings(),
		families:   map[string]*family{},
		tokens:     map[string]*token{},
		nextSeq:    1,
		counts:     control.Counts{},
		faults:     map[control.Route][]*control.Fault{},
		perFamily:  map[string][]time.Time{},
		perAddress: map[string][]time.Time{},
	}
	for _, u := range cfg.seedUsers() {
		u := u
		st.users = append(st.users, &u)
	}
	return st
}

func (st *state) userByEmail(email string) *User {
	for _, u := range st.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

func (st *state) userByID(id string) *User {
	for _, u := range st.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// newFamily starts the family of one login.
func (st *state) newFamily(userID string) *family {
	st.nextFamily++
	f := &family{id: fmt.Sprintf("f-%d", st.nextFamily), userID: userID}
	st.families[f.id] = f
	return f
}

// issue mints a token of kind in f and remembers it.
func (st *state) issue(f *family, kind control.TokenKind, generation int, now time.Time) *token {
	ttl := st.settings.AccessTTL.Std()
	if kind == control.Refresh {
		ttl = st.settings.RefreshTTL.Std()
	}
	t := &token{value: newTokenValue(), kind: kind, fam: f, generation: generation, issuedAt: now, ttl: ttl, expiresAt: now.Add(ttl)}
	f.tokens = append(f.tokens, t)
	st.tokens[t.value] = t
	st.issued = append(st.issued, t)
	if kind == control.Access {
		f.access = t
	} else {
		f.refresh = t
	}
	return t
}

func (st *state) revoke(f *family, now time.Time) int {
	st.revokeRefresh(f, now)
	f.accessRevoked = true
	return len(f.tokens)
}

// revokeRefresh revokes the family's refresh tokens and leaves its access
// tokens to live until they expire.
func (st *state) revokeRefresh(f *family, now time.Time) {
	if !f.revoked {
		f.revoked = true
		f.revokedAt = now
	}
}

// sweep drops dead families and the expired tokens of live ones. A token
// that is gone is unknown afterwards, which the API answers exactly like an
// expired or revoked one.
func (st *state) sweep(now time.Time) {
	changed := false
	for id, f := range st.families {
		if f.dead(now) {
			for _, t := range f.tokens {
				delete(st.tokens, t.value)
			}
			delete(st.families, id)
			changed = true
			continue
		}
		kept := f.tokens[:0]
		for _, t := range f.tokens {
			// The newest pair stays, so the grace window and the family's
			// identity survive; older expired tokens go.
			if t.expired(now) && t != f.access && t != f.refresh {
				delete(st.tokens, t.value)
				changed = true
				continue
			}
			kept = append(kept, t)
		}
		clear(f.tokens[len(kept):])
		f.tokens = kept
	}
	if changed {
		kept := make([]*token, 0, len(st.tokens))
		for _, t := range st.issued {
			if st.tokens[t.value] == t {
				kept = append(kept, t)
			}
		}
		st.issued = kept
	}
	window := st.settings.RateLimit.Window.Std()
	pruneWindows(st.perFamily, now, window)
	pruneWindows(st.perAddress, now, window)
}

func pruneWindows(m map[string][]time.Time, now time.Time, window time.Duration) {
	for k, ts := range m {
		if ts = prune(ts, now, window); len(ts) == 0 {
			delete(m, k)
		} else {
			m[k] = ts
		}
	}
}

func (st *state) stats(now time.Time) control.Stats {
	s := control.Stats{Families: len(st.families), Tokens: len(st.tokens), JournalEntries: len(st.journal)}
	for _, f := range st.families {
		if !f.dead(now) {
			s.LiveFamilies++
		}
	}
	return s
}

// record appends e to the journal and the counts, dropping the oldest
// entries beyond the caps.
func (st *state) record(e control.Entry, maxEntries, maxBytes int) int {
	e.Seq = st.nextSeq
	st.nextSeq++
	st.journal = append(st.journal, e)
	st.journalSize += len(e.Body)
	drop := 0
	for len(st.journal)-drop > maxEntries || (st.journalSize > maxBytes && len(st.journal)-drop > 1) {
		st.journalSize -= len(st.journal[drop].Body)
		drop++
	}
	if drop > 0 {
		clear(st.journal[:drop])
		st.journal = st.journal[drop:]
	}
	byOutcome := st.counts[e.Route]
	if byOutcome == nil {
		byOutcome = map[control.Outcome]int{}
		st.counts[e.Route] = byOutcome
	}
	byOutcome[e.Outcome]++
	return e.Seq
}

// journalSince returns a copy of the entries whose Seq is greater than since.
func (st *state) journalSince(since int) []control.Entry {
	if len(st.journal) == 0 {
		return []control.Entry{}
	}
	i := since - st.journal[0].Seq + 1
	if i < 0 {
		i = 0
	}
	if i >= len(st.journal) {
		return []control.Entry{}
	}
	return append([]control.Entry(nil), st.journal[i:]...)
}

// takeFault consumes one call of the first fault queued for route.
func (st *state) takeFault(route control.Route) *control.Fault {
	q := st.faults[route]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	q[0].Count--
	if q[0].Count <= 0 {
		q[0] = nil
		q = q[1:]
	}
	if len(q) == 0 {
		delete(st.faults, route)
	} else {
		st.faults[route] = q
	}
	f.Count = 1
	return &f
}

// allow applies the sliding-window rate limit to key in m: it reports how
// long to wait when the limit is met, and otherwise counts the attempt.
func allow(m map[string][]time.Time, key string, limit int, window time.Duration, now time.Time) (time.Duration, bool) {
	ts := prune(m[key], now, window)
	if len(ts) >= limit {
		m[key] = ts
		return ts[0].Add(window).Sub(now), false
	}
	m[key] = append(ts, now)
	return 0, true
}

func prune(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	cut := now.Add(-window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

// newTokenValue is an opaque random token: 32 bytes of crypto/rand, base64url.
func newTokenValue() string {
	b := make([]byte, tokenRandomBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
