package reference

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/redis/go-redis/v9"
)

// Bounds of the shared refresh. A live lock holder finishes within the
// backend timeout plus two Redis commands (read the result, publish it), so
// a waiter waits that long for it; the lock lives twice as long, so that it
// never expires under a holder that is only slow, and a holder that died
// stops blocking the token after it.
const (
	sharedOpTimeout = time.Second      // one Redis command
	sharedResultTTL = 30 * time.Second // as long as the in-process memory of recent refreshes
	sharedPollFirst = 2 * time.Millisecond
	sharedPollMax   = 50 * time.Millisecond
	sharedKeyPrefix = "refreshspec:refresh:"
)

// releaseScript deletes the lock only if it still holds this holder's
// token: a holder whose lock expired must not delete the next holder's.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// sharedRefresh makes the refresh of a token one refresh across every
// instance that shares a Redis: the first instance to meet the expired
// token takes a short lock keyed by the token's fingerprint, refreshes, and
// publishes the rotated pair (sealed with the session key) for the others,
// which wait for it instead of presenting the token a second time, which the
// backend would take for reuse.
//
// When Redis fails or another instance's refresh does not finish in time,
// the request fails with refreshCoordinationFailed (503, the session kept):
// a refresh without the lock could be the second one.
type sharedRefresh struct {
	rdb    *redis.Client
	codecs []securecookie.Codec // the session's: the first seals, all open
	log    *slog.Logger
	// wait bounds how long a request waits for another instance's refresh;
	// lockTTL is how long a lock outlives a holder that died.
	wait, lockTTL time.Duration
}

func newSharedRefresh(redisURL string, codecs []securecookie.Codec, backendTimeout time.Duration, log *slog.Logger) (*sharedRefresh, error) {
	opts, err := redisOptions(redisURL)
	if err != nil {
		return nil, err
	}
	wait := backendTimeout + 2*sharedOpTimeout
	return &sharedRefresh{rdb: redis.NewClient(opts), codecs: codecs, log: log, wait: wait, lockTTL: 2 * wait}, nil
}

// redisOptions reads REDIS_URL, with timeouts short enough that a Redis that
// hangs fails the request instead of holding it, and no retries: a command
// whose answer was lost is not sent again, it fails the request.
func redisOptions(redisURL string) (*redis.Options, error) {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		// ParseURL's errors may quote the URL, password and all.
		return nil, errors.New("want redis://[user:password@]host:port[/db] or rediss://[user:password@]host:port[/db]")
	}
	opts.DialTimeout = sharedOpTimeout
	opts.ReadTimeout = sharedOpTimeout
	opts.WriteTimeout = sharedOpTimeout
	opts.PoolTimeout = sharedOpTimeout
	opts.ContextTimeoutEnabled = true
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	return opts, nil
}

// redisLogger sends go-redis's own log lines (a lost connection, a failed
// dial) to the reference's JSON log, as warnings.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn("redis client", "detail", fmt.Sprintf(format, v...))
}

func (s *sharedRefresh) close() error { return s.rdb.Close() }

// sharedKeys are a token's keys in Redis. They hold the full SHA-256 of
// the token (the logs' 8-digit fingerprint would let two sessions' tokens
// share a lock and a result), never the token itself.
type sharedKeys struct{ lock, result string }

func keysFor(refreshToken string) sharedKeys {
	sum := sha256.Sum256([]byte(refreshToken))
	h := hex.EncodeToString(sum[:])
	return sharedKeys{lock: sharedKeyPrefix + "lock:" + h, result: sharedKeyPrefix + "result:" + h}
}

// exchange returns the rotated pair for refreshToken: the one another
// instance published, or the one call gets while this instance holds the
// token's lock.
func (s *sharedRefresh) exchange(ctx context.Context, refreshToken string, call func(context.Context, string) (rotatedTokens, error)) (_ rotatedTokens, err error) {
	defer func() {
		var rerr *refreshError
		if errors.As(err, &rerr) && rerr.kind == refreshCoordinationFailed {
			s.log.Warn("refresh", "token", fingerprint(refreshToken), "outcome", "shared_refresh_failed", "error", rerr.err.Error())
		}
	}()
	keys := keysFor(refreshToken)
	deadline := time.Now().Add(s.wait)
	poll := sharedPollFirst
	for {
		if t, ok, err := s.result(ctx, keys); err != nil || ok {
			return t, err
		}
		lock, err := s.lock(ctx, keys)
		if err != nil {
			return rotatedTokens{}, err
		}
		if lock != "" {
			return s.refreshHolding(ctx, keys, lock, refreshToken, call)
		}
		// Another instance holds the lock: wait for its result, or for the
		// lock to be free again (its refresh failed, or it died).
		if time.Now().After(deadline) {
			return rotatedTokens{}, coordinationFailed(fmt.Errorf("another instance's refresh of this token did not finish within %s", s.wait))
		}
		select {
		case <-ctx.Done():
			return rotatedTokens{}, coordinationFailed(ctx.Err())
		case <-time.After(poll):
		}
		poll = min(2*poll, sharedPollMax)
	}
}

// refreshHolding refreshes while this instance holds the lock, publishes
// the result for the others and releases the lock.
func (s *sharedRefresh) refreshHolding(ctx context.Context, keys sharedKeys, lock, refreshToken string, call func(context.Context, string) (rotatedTokens, error)) (rotatedTokens, error) {
	// A holder that finished between our read and our lock published first.
	t, ok, err := s.result(ctx, keys)
	if err != nil || ok {
		s.unlock(ctx, keys, lock)
		return t, err
	}
	t, err = call(ctx, refreshToken)
	if err != nil {
		// No rotation that this instance knows of: the token is the next
		// request's to refresh, on any instance.
		s.unlock(ctx, keys, lock)
		return rotatedTokens{}, err
	}
	if err := s.publish(ctx, keys, t); err != nil {
		// The token is used and the others cannot learn its successor: the
		// lock stays until its TTL, so that none of them presents the token
		// again meanwhile (they answer 503). This request has the pair.
		s.log.Warn("shared refresh: result not published; the lock is kept until it expires", "token", fingerprint(refreshToken), "ttl", s.lockTTL, "error", err)
		return t, nil
	}
	s.unlock(ctx, keys, lock)
	return t, nil
}

// result reads the pair another instance published for the token.
func (s *sharedRefresh) result(ctx context.Context, keys sharedKeys) (rotatedTokens, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
	defer cancel()
	sealed, err := s.rdb.Get(ctx, keys.result).Result()
	if errors.Is(err, redis.Nil) {
		return rotatedTokens{}, false, nil
	}
	if err != nil {
		return rotatedTokens{}, false, coordinationFailed(fmt.Errorf("reading the shared result: %w", err))
	}
	var t rotatedTokens
	// The key is the seal's name, so a value copied under another token's
	// key does not open.
	if err := securecookie.DecodeMulti(keys.result, sealed, &t, s.codecs...); err != nil {
		return rotatedTokens{}, false, coordinationFailed(fmt.Errorf("the shared result does not open with this instance's SESSION_SECRET: %w", err))
	}
	return t, true, nil
}

// publish stores the rotated pair, sealed, for sharedResultTTL.
func (s *sharedRefresh) publish(ctx context.Context, keys sharedKeys, t rotatedTokens) error {
	sealed, err := securecookie.EncodeMulti(keys.result, t, s.codecs...)
	if err != nil {
		return fmt.Errorf("sealing the result: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
	defer cancel()
	return s.rdb.Set(ctx, keys.result, sealed, sharedResultTTL).Err()
}

// lock takes the token's lock (SET NX with an expiry and a random value,
// go-redis's SetNX) and returns
// that value, or "" when another instance holds it.
func (s *sharedRefresh) lock(ctx context.Context, keys sharedKeys) (string, error) {
	value := rand.Text()
	ctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
	defer cancel()
	took, err := s.rdb.SetNX(ctx, keys.lock, value, s.lockTTL).Result()
	switch {
	case err != nil:
		return "", coordinationFailed(fmt.Errorf("taking the refresh lock: %w", err))
	case !took:
		return "", nil
	}
	return value, nil
}

// unlock releases the lock if this holder still holds it. A failure is
// logged: the lock's TTL frees it.
func (s *sharedRefresh) unlock(ctx context.Context, keys sharedKeys, value string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedOpTimeout)
	defer cancel()
	if err := releaseScript.Run(ctx, s.rdb, []string{keys.lock}, value).Err(); err != nil {
		s.log.Warn("shared refresh: lock not released; it expires by itself", "ttl", s.lockTTL, "error", err)
	}
}

func coordinationFailed(err error) *refreshError {
	return &refreshError{kind: refreshCoordinationFailed, err: fmt.Errorf("shared refresh: %w", err)}
}
