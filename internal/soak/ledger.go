package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// famKey names a family from the client's side: the user and which of the
// user's logins started it (1 for the first). The backend's family IDs are
// learnt from the journal and mapped onto it.
type famKey struct {
	user  string
	login int
}

func (k famKey) String() string { return fmt.Sprintf("%s#%d", k.user, k.login) }

// famBook is what happened to one family, from both sides.
type famBook struct {
	// Client side.
	expiries  int  // times a live access token of the family was expired
	incidents int  // 502/503 answers (a burst counts once)
	revoked   bool // revoked on purpose
	// Backend side (journal).
	refreshOK     int // successful refreshes
	refreshCalls  int // every refresh attempt
	failingFaults int // faults that answered a call of the family
}

// ledger follows the backend's journal and keeps the books per family. One
// goroutine polls; everything else reads under mu.
type ledger struct {
	ctl *control.Client

	mu        sync.Mutex
	lastSeq   int
	gaps      int
	families  map[string]famKey // backend family ID → famKey
	byKey     map[famKey]string // and back
	logins    map[string]int    // logins journaled per user
	books     map[famKey]*famBook
	tokens    map[string]string // every issued token → its family ID
	consumed  map[string]int    // faults that answered, by route and kind
	refreshes int
}

func newLedger(ctl *control.Client) *ledger {
	return &ledger{
		ctl:      ctl,
		families: map[string]famKey{},
		byKey:    map[famKey]string{},
		logins:   map[string]int{},
		books:    map[famKey]*famBook{},
		tokens:   map[string]string{},
		consumed: map[string]int{},
	}
}

func (l *ledger) book(k famKey) *famBook {
	b := l.books[k]
	if b == nil {
		b = &famBook{}
		l.books[k] = b
	}
	return b
}

// with runs f on the book of k under the ledger's lock.
func (l *ledger) with(k famKey, f func(*famBook)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.book(k))
}

// family is the backend's family ID of k, once the journal showed its login.
func (l *ledger) family(k famKey) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.byKey[k]
	return id, ok
}

func (l *ledger) keyOf(family string) (famKey, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.families[family]
	return k, ok
}

// poll reads the journal since the last entry seen and books it. It
// reports how many entries it read.
func (l *ledger) poll(ctx context.Context) (int, error) {
	l.mu.Lock()
	since := l.lastSeq
	l.mu.Unlock()
	es, err := l.ctl.Journal(ctx, since)
	if err != nil {
		return 0, fmt.Errorf("reading the journal: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range es {
		if e.Seq <= l.lastSeq {
			continue
		}
		if e.Seq != l.lastSeq+1 {
			l.gaps++ // the journal dropped entries before they were read
		}
		l.lastSeq = e.Seq
		l.record(e)
	}
	return len(es), nil
}

// record books one journal entry; the caller holds mu.
func (l *ledger) record(e control.Entry) {
	for _, tok := range e.Issued {
		l.tokens[tok.Value] = tok.Family
	}
	if e.Route == control.RouteLogin && len(e.Issued) > 0 {
		user := e.Issued[0].UserID
		l.logins[user]++
		k := famKey{user: user, login: l.logins[user]}
		l.families[e.Issued[0].Family] = k
		l.byKey[k] = e.Issued[0].Family
		return
	}
	family := e.Family
	if family == "" && e.Route == control.RouteRefresh {
		// A delay fault the proxy gave up on journals no token; the
		// body still names it.
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		if json.Unmarshal([]byte(e.Body), &body) == nil {
			family = l.tokens[body.RefreshToken]
		}
	}
	faulted := e.Fault != "" && e.Outcome == control.OutcomeFault
	if faulted {
		l.consumed[string(e.Route)+" "+string(e.Fault)]++
	}
	k, known := l.families[family]
	if e.Route == control.RouteRefresh {
		l.refreshes++
		if known {
			b := l.book(k)
			b.refreshCalls++
			if e.Outcome == control.OutcomeOK || e.Outcome == control.OutcomeGrace {
				b.refreshOK++
			}
		}
	}
	if faulted && known {
		l.book(k).failingFaults++
	}
}

// snapshot copies what the report needs.
func (l *ledger) snapshot() (books map[famKey]famBook, tokens map[string]bool, consumed map[string]int, refreshes, gaps int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	books = make(map[famKey]famBook, len(l.books))
	for k, b := range l.books {
		books[k] = *b
	}
	tokens = make(map[string]bool, len(l.tokens))
	for t := range l.tokens {
		tokens[t] = true
	}
	consumed = make(map[string]int, len(l.consumed))
	for k, v := range l.consumed {
		consumed[k] = v
	}
	return books, tokens, consumed, l.refreshes, l.gaps
}
