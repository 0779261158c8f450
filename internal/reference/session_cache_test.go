package reference

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// openValue opens one cookie value with st.
func openValue(st *sessionStore, value string) (*session, bool, error) {
	r, _ := http.NewRequest(http.MethodGet, "/api/me", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: value})
	return st.open(r)
}

func storeAt(t *testing.T, now *time.Time, secrets ...string) *sessionStore {
	t.Helper()
	st, err := newSessionStore(Config{Secrets: secrets, now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func sealValue(t *testing.T, st *sessionStore, sess session) string {
	t.Helper()
	c, err := st.cookie(&sess)
	if err != nil {
		t.Fatal(err)
	}
	return c.Value
}

// The cache of opened cookies must not change what open answers: the
// second open of a value (from the cache) equals the first (from the
// codecs), including the reseal flag of a cookie sealed under an older
// secret and the refusal of a session past its expiry.
func TestCachedOpenAnswersAsTheCodecs(t *testing.T) {
	now := time.Now()
	st := storeAt(t, &now, testSecret, otherSecret)
	old := storeAt(t, &now, otherSecret)
	live := session{Access: "a-1", Refresh: "r-1", RefreshExpiry: now.Add(time.Hour).Unix(), UserID: "u-1", FirstName: "Alice"}

	for _, tc := range []struct {
		name       string
		value      string
		wantReseal bool
	}{
		{"sealed under the first secret", sealValue(t, st, live), false},
		{"sealed under an older secret", sealValue(t, old, live), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 2 {
				got, reseal, err := openValue(st, tc.value)
				if err != nil {
					t.Fatalf("open %d: %v", i+1, err)
				}
				if sessionKey(*got) != sessionKey(live) || reseal != tc.wantReseal {
					t.Fatalf("open %d: got %+v reseal=%v, want %+v reseal=%v", i+1, *got, reseal, live, tc.wantReseal)
				}
				got.Access = "changed by a handler" // must not reach the cache
			}
		})
	}

	// The same cached value, once the session's own expiry has passed.
	value := sealValue(t, st, live)
	if _, _, err := openValue(st, value); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, _, err := openValue(st, value); !errors.Is(err, errSessionExpired) {
		t.Fatalf("a cached session past its expiry: got %v, want errSessionExpired", err)
	}

	// A value the codecs refuse is never cached, so it is refused each time.
	for i := range 2 {
		if _, _, err := openValue(st, flipByte(value)); !errors.Is(err, errCookieUndecoded) {
			t.Fatalf("open %d of a tampered value: got %v, want errCookieUndecoded", i+1, err)
		}
	}
}

// A cached value past securecookie's MaxAge goes through the codecs again:
// the cache never answers for longer than the codecs would.
func TestCachedOpenHonoursMaxAge(t *testing.T) {
	now := time.Now()
	st := storeAt(t, &now, testSecret)
	sealed := session{Access: "a-1", Refresh: "r-1", RefreshExpiry: now.Add(time.Hour).Unix()}
	value := sealValue(t, st, sealed)
	// Plant an entry for the value that claims to be older than MaxAge and
	// to hold another session: it must be ignored and dropped.
	st.opened.put(value, &openedCookie{sess: session{Access: "planted", Refresh: "planted", RefreshExpiry: sealed.RefreshExpiry}, sealedAt: time.Now().Unix() - sessionLifetimeSeconds - 10})
	got, _, err := openValue(st, value)
	if err != nil {
		t.Fatal(err)
	}
	if got.Access != sealed.Access {
		t.Fatalf("an entry past MaxAge answered: got %+v", *got)
	}
	if o, ok := st.opened.get(value); !ok || o.sess.Access != sealed.Access {
		t.Fatalf("after the codecs opened it, the cache should hold the real session; got %+v, %v", o, ok)
	}
}

// The cache stays bounded however many sessions come by: memory must not
// grow with the number of sessions (they live in cookies).
func TestOpenedCookiesAreBounded(t *testing.T) {
	now := time.Now()
	st := storeAt(t, &now, testSecret)
	for i := range 3 * openedCookiesLimit {
		v := sealValue(t, st, session{Access: fmt.Sprint("a-", i), Refresh: fmt.Sprint("r-", i), RefreshExpiry: now.Add(time.Hour).Unix()})
		if _, _, err := openValue(st, v); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.opened.size(); n > 2*openedCookiesLimit || n < openedCookiesLimit {
		t.Fatalf("cache holds %d entries after %d sessions; want between %d and %d", n, 3*openedCookiesLimit, openedCookiesLimit, 2*openedCookiesLimit)
	}
}

func TestSealedAtReadsTheTimestamp(t *testing.T) {
	now := time.Now()
	st := storeAt(t, &now, testSecret)
	before := time.Now().Unix()
	ts, ok := sealedAt(sealValue(t, st, session{Access: "a", Refresh: "r", RefreshExpiry: now.Add(time.Hour).Unix()}))
	if !ok || ts < before || ts > time.Now().Unix() {
		t.Fatalf("sealedAt = %d, %v; want a timestamp between %d and now", ts, ok, before)
	}
	for _, bad := range []string{"", "!!!", "bm8tYmFy"} { // "no-bar": no separator
		if _, ok := sealedAt(bad); ok {
			t.Errorf("sealedAt(%q) succeeded", bad)
		}
	}
}
