package reference

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/redisserver"
)

// sharedSetup is a fake backend without a grace window (every second use of
// a refresh token is reuse and revokes the family) and two instances of the
// reference sharing a secret and a real Redis.
type sharedSetup struct {
	ctl       *control.Client
	redis     *redisserver.Server
	rdb       *redis.Client // the test's own view of that Redis
	instances []*proxy
}

func startShared(t *testing.T) *sharedSetup {
	t.Helper()
	sh, _ := startSharedRelayed(t)
	return sh
}

// startSharedRelayed is startShared with the instances reaching the
// backend through a relay that closes refreshed when the first refresh
// call arrives: how a test knows the lock holder is inside its refresh,
// past every Redis command that comes before it, without guessing a delay.
func startSharedRelayed(t *testing.T) (*sharedSetup, <-chan struct{}) {
	t.Helper()
	rs := redisserver.Require(t)
	be, ctl := startBackend(t, fakebackend.Config{})
	setGrace(t, ctl, 0)
	backendURL, refreshed := refreshRelay(t, be.URL)
	withRedis := func(c *Config) { c.RedisURL = rs.URL() }
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return &sharedSetup{ctl: ctl, redis: rs, rdb: rdb,
		instances: []*proxy{startProxy(t, backendURL, withRedis), startProxy(t, backendURL, withRedis)}}, refreshed
}

// refreshRelay is the backend at backendURL behind a loopback relay, and a
// channel closed when the first POST /auth/refresh reaches the relay.
func refreshRelay(t testing.TB, backendURL string) (string, <-chan struct{}) {
	t.Helper()
	target, err := url.Parse(backendURL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	refreshed := make(chan struct{})
	var once sync.Once
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/auth/refresh" {
			once.Do(func() { close(refreshed) })
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(relay.Close)
	return relay.URL, refreshed
}

func setGrace(t testing.TB, ctl *control.Client, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	grace := control.Duration(d)
	if _, err := ctl.UpdateSettings(ctx, control.SettingsPatch{GraceWindow: &grace}); err != nil {
		t.Fatalf("settings: %v", err)
	}
}

// sessionRefreshToken is the refresh token a cookie of p holds.
func sessionRefreshToken(t testing.TB, p *proxy, c *http.Cookie) string {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: c.Value})
	s, _, err := p.srv.store.open(r)
	if err != nil {
		t.Fatalf("opening a cookie the proxy set: %v", err)
	}
	return s.Refresh
}

// waitForKey polls Redis until key exists: how the test knows an instance
// holds a lock, without guessing a delay.
func waitForKey(t testing.TB, rdb *redis.Client, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if n, err := rdb.Exists(ctx, key).Result(); err == nil && n == 1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never appeared in Redis", key)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func expectNoReuse(t testing.TB, es []control.Entry) {
	t.Helper()
	for _, e := range es {
		if e.Outcome == control.OutcomeReuse {
			t.Errorf("the backend saw reuse:\n%s", dumpJournal(t, es))
			return
		}
	}
}

// TestInstancesShareOneRefreshThroughRedis: the case the grace window used
// to cover, without it. Concurrent requests of one expired session through
// two instances make one refresh; requests that still carry the old cookie
// afterwards, on either instance, get the rotated session without another.
// What Redis holds is sealed and expires.
func TestInstancesShareOneRefreshThroughRedis(t *testing.T) {
	sh := startShared(t)
	cookie := sh.instances[0].login()
	oldRefresh := sessionRefreshToken(t, sh.instances[0], cookie)
	expireAccess(t, sh.ctl)
	// Hold the first refresh so that the other instance surely meets the
	// expired token while it runs.
	queueFault(t, sh.ctl, control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(300 * time.Millisecond)})
	since := lastSeq(t, sh.ctl)

	answers := concurrently(20, func(i int) *answer { return sh.instances[i%2].get("/api/me", cookie) })
	late := []*answer{sh.instances[0].get("/api/me", cookie), sh.instances[1].get("/api/me", cookie)}

	es := journal(t, sh.ctl, since)
	refreshes := byRoute(es, control.RouteRefresh)
	if len(refreshes) != 1 {
		t.Fatalf("%d refreshes for one session across two instances, want 1:\n%s", len(refreshes), dumpJournal(t, es))
	}
	expectNoReuse(t, es)
	newAccess, newRefresh := refreshIssued(t, refreshes[0])
	for i, a := range append(answers, late...) {
		if a.Status != http.StatusOK || a.SessionCookie() == nil {
			t.Errorf("request %d: %d %s, want 200 with the rotated session", i, a.Status, a.Body)
			continue
		}
		p := sh.instances[i%2]
		if got := sessionRefreshToken(t, p, a.SessionCookie()); got != newRefresh {
			t.Errorf("request %d carries refresh token %.8s…, want the rotated %.8s…", i, got, newRefresh)
		}
	}
	if st := tokenState(t, sh.ctl, newAccess); st != control.StateActive {
		t.Errorf("the rotated access token is %s", st)
	}

	ctx := context.Background()
	keys := keysFor(oldRefresh)
	sealed, err := sh.rdb.Get(ctx, keys.result).Result()
	if err != nil {
		t.Fatalf("the shared result is not in Redis: %v", err)
	}
	for _, v := range decodings(sealed) {
		if strings.Contains(v, newAccess) || strings.Contains(v, newRefresh) {
			t.Fatal("Redis holds a rotated token in clear")
		}
	}
	if strings.Contains(keys.result, oldRefresh) {
		t.Error("the Redis key holds the refresh token itself")
	}
	if ttl, err := sh.rdb.PTTL(ctx, keys.result).Result(); err != nil || ttl <= 0 || ttl > sharedResultTTL {
		t.Errorf("the shared result's TTL is %v (%v), want at most %v", ttl, err, sharedResultTTL)
	}
	if n, _ := sh.rdb.Exists(ctx, keys.lock).Result(); n != 0 {
		t.Error("the lock is still held after the refresh")
	}
}

// TestRedisDownAnswers503AndKeepsTheSession: with Redis gone, no instance
// refreshes (it could be the second refresh); requests answer 503 and keep
// the cookie, and once Redis is back the session refreshes once.
func TestRedisDownAnswers503AndKeepsTheSession(t *testing.T) {
	sh := startShared(t)
	cookie := sh.instances[0].login()
	expireAccess(t, sh.ctl)
	since := lastSeq(t, sh.ctl)
	if err := sh.redis.Kill(); err != nil {
		t.Fatal(err)
	}
	for i, p := range sh.instances {
		a := p.get("/api/me", cookie)
		if a.Status != http.StatusServiceUnavailable || a.SessionCookie() != nil {
			t.Errorf("instance %d with Redis down: %d %s, Set-Cookie %v; want 503 and the cookie untouched", i, a.Status, a.Body, a.SetCookieLines())
		}
	}
	if r := byRoute(journal(t, sh.ctl, since), control.RouteRefresh); len(r) != 0 {
		t.Fatalf("an instance refreshed without the lock:\n%s", dumpJournal(t, r))
	}
	if err := sh.redis.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := sh.instances[1].get("/api/me", cookie); a.Status != http.StatusOK {
		t.Fatalf("after Redis came back: %d %s", a.Status, a.Body)
	}
	if r := byRoute(journal(t, sh.ctl, since), control.RouteRefresh); len(r) != 1 || r[0].Outcome != control.OutcomeOK {
		t.Errorf("want one refresh once Redis is back:\n%s", dumpJournal(t, r))
	}
}

// TestRedisKilledMidRefresh: Redis dies while one instance holds the lock
// and its refresh is on the wire. That request still gets the rotated
// session; the other instance answers 503 instead of refreshing a second
// time, and the family lives.
func TestRedisKilledMidRefresh(t *testing.T) {
	sh, refreshed := startSharedRelayed(t)
	cookie := sh.instances[0].login()
	keys := keysFor(sessionRefreshToken(t, sh.instances[0], cookie))
	expireAccess(t, sh.ctl)
	queueFault(t, sh.ctl, control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(time.Second)})
	since := lastSeq(t, sh.ctl)

	holder := make(chan *answer, 1)
	go func() { holder <- sh.instances[0].get("/api/me", cookie) }()
	waitForKey(t, sh.rdb, keys.lock)
	// Killed once the holder's refresh is at the backend (held there by the
	// delay): killed between its lock and its look for a result published
	// meanwhile, the holder would answer 503 without refreshing, which is
	// right too, but not the case under test.
	select {
	case <-refreshed:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock holder's refresh never reached the backend")
	}
	if err := sh.redis.Kill(); err != nil {
		t.Fatal(err)
	}
	other := sh.instances[1].get("/api/me", cookie)
	if other.Status != http.StatusServiceUnavailable || other.SessionCookie() != nil {
		t.Errorf("the other instance: %d %s, Set-Cookie %v; want 503 and the cookie untouched", other.Status, other.Body, other.SetCookieLines())
	}
	if a := <-holder; a.Status != http.StatusOK || a.SessionCookie() == nil {
		t.Errorf("the lock holder: %d %s; want 200 with the rotated session", a.Status, a.Body)
	}
	es := journal(t, sh.ctl, since)
	if r := byRoute(es, control.RouteRefresh); len(r) != 1 || r[0].Outcome != control.OutcomeOK {
		t.Errorf("want exactly one refresh:\n%s", dumpJournal(t, es))
	}
	expectNoReuse(t, es)
}

// TestLockOfADeadHolderIsFreedByItsTTL: the lock always carries a TTL, so a
// holder that died (its lock left behind) blocks the token only until the
// TTL runs out: meanwhile requests answer 503 without refreshing, then the
// next one refreshes once. Redis's clock cannot be moved, so the test stands
// in for the time passing with PEXPIRE, and shortens one instance's wait.
func TestLockOfADeadHolderIsFreedByItsTTL(t *testing.T) {
	sh := startShared(t)
	ctx := context.Background()
	cookie := sh.instances[0].login()

	// A live holder's lock has a TTL, at most lockTTL.
	keys := keysFor(sessionRefreshToken(t, sh.instances[0], cookie))
	expireAccess(t, sh.ctl)
	// The backend holds the refresh a second, the lock with it: time enough
	// to read the lock's TTL on a loaded machine.
	queueFault(t, sh.ctl, control.Fault{Route: control.RouteRefresh, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(time.Second)})
	holder := make(chan *answer, 1)
	go func() { holder <- sh.instances[0].get("/api/me", cookie) }()
	waitForKey(t, sh.rdb, keys.lock)
	lockTTL := sh.instances[0].srv.refresher.shared.lockTTL
	if ttl, err := sh.rdb.PTTL(ctx, keys.lock).Result(); err != nil || ttl <= 0 || ttl > lockTTL {
		t.Errorf("a held lock's TTL is %v (%v), want above 0 and at most %v", ttl, err, lockTTL)
	}
	a := <-holder
	if a.Status != http.StatusOK {
		t.Fatalf("the holder: %d %s", a.Status, a.Body)
	}
	cookie = a.SessionCookie()

	// A holder that died on the next expiry left its lock behind.
	keys = keysFor(sessionRefreshToken(t, sh.instances[0], cookie))
	expireAccess(t, sh.ctl)
	if err := sh.rdb.Set(ctx, keys.lock, "a holder that died", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	since := lastSeq(t, sh.ctl)
	impatient := sh.instances[1]
	impatient.srv.refresher.shared.wait = 200 * time.Millisecond
	if a := impatient.get("/api/me", cookie); a.Status != http.StatusServiceUnavailable || a.SessionCookie() != nil {
		t.Errorf("while a dead holder's lock lives: %d %s, Set-Cookie %v; want 503 and the cookie untouched", a.Status, a.Body, a.SetCookieLines())
	}
	if r := byRoute(journal(t, sh.ctl, since), control.RouteRefresh); len(r) != 0 {
		t.Fatalf("an instance refreshed while another held the lock:\n%s", dumpJournal(t, r))
	}

	// Its TTL runs out while a request waits: that request refreshes, once.
	if err := sh.rdb.PExpire(ctx, keys.lock, 150*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if a := sh.instances[0].get("/api/me", cookie); a.Status != http.StatusOK {
		t.Fatalf("once the dead holder's lock expired: %d %s", a.Status, a.Body)
	}
	es := journal(t, sh.ctl, since)
	if r := byRoute(es, control.RouteRefresh); len(r) != 1 || r[0].Outcome != control.OutcomeOK {
		t.Errorf("want one refresh once the lock expired:\n%s", dumpJournal(t, es))
	}
}

// TestSharedResultIsBoundToItsToken: a sealed result opens only under the
// key it was published for, so a value moved to another token's key (by
// anyone who can write to the Redis) gives that token nothing.
func TestSharedResultIsBoundToItsToken(t *testing.T) {
	sh := startShared(t)
	shared := sh.instances[0].srv.refresher.shared
	ctx := context.Background()
	a, b := keysFor("refresh-token-a"), keysFor("refresh-token-b")
	if err := shared.publish(ctx, a, rotatedTokens{Access: "access-2", Refresh: "refresh-2"}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := shared.result(ctx, a)
	if err != nil || !ok || got.Refresh != "refresh-2" {
		t.Fatalf("result under its own key: %+v %v %v", got, ok, err)
	}
	sealed, err := sh.rdb.Get(ctx, a.result).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.rdb.Set(ctx, b.result, sealed, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := shared.result(ctx, b); err == nil || ok {
		t.Errorf("a result moved to another token's key opened: %+v %v %v", got, ok, err)
	}
}

// TestRedisURLErrorsNameTheVariable: a bad REDIS_URL is refused at start
// with the variable's name, and never echoes a password.
func TestRedisURLErrorsNameTheVariable(t *testing.T) {
	for _, bad := range []string{"http://127.0.0.1:6379", "redis://user:s3cret-pw@127.0.0.1:notaport/0", "redis://127.0.0.1:6379/notadb"} {
		env := map[string]string{EnvBackendURL: "http://127.0.0.1:9", EnvSessionSecret: testSecret, EnvRedisURL: bad}
		_, err := ConfigFromEnv(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), EnvRedisURL) || strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("REDIS_URL=%q: %v; want an error naming %s without the password", bad, err, EnvRedisURL)
		}
	}
	env := map[string]string{EnvBackendURL: "http://127.0.0.1:9", EnvSessionSecret: testSecret, EnvRedisURL: "redis://127.0.0.1:6379/2"}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg.RedisURL != "redis://127.0.0.1:6379/2" {
		t.Errorf("a good REDIS_URL: %+v, %v", cfg.RedisURL, err)
	}
}
