package reference

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
)

// CookieName is the session cookie's name.
const CookieName = "session"

// MaxCookieBytes is the largest Set-Cookie value (name, value and
// attributes) the reference sends: browsers drop bigger cookies silently,
// which would log the user out without a word.
const MaxCookieBytes = 4096

// Labels that make the hash key and the block key of one secret independent.
const (
	hashKeyLabel  = "refreshspec reference session hash key v1"
	blockKeyLabel = "refreshspec reference session block key v1"
)

// session is what the cookie carries: as little as the proxy needs.
type session struct {
	Access  string `json:"a"`
	Refresh string `json:"r"`
	// RefreshExpiry (Unix seconds) bounds the session: login time plus
	// SessionLifetime, kept across refreshes.
	RefreshExpiry int64  `json:"e"`
	UserID        string `json:"u,omitempty"`
	FirstName     string `json:"n,omitempty"`
}

// rotated is a copy of the session holding the tokens of a refresh; its
// expiry and user carry over.
func (s *session) rotated(t rotatedTokens) *session {
	next := *s
	next.Access, next.Refresh = t.Access, t.Refresh
	return &next
}

var (
	errNoCookie        = errors.New("no session cookie")
	errSessionExpired  = errors.New("session past its refresh expiry")
	errCookieTooLarge  = errors.New("session cookie would exceed 4096 bytes")
	errCookieUndecoded = errors.New("session cookie does not unseal")
)

// sessionStore seals and unseals sessions and writes the cookie.
type sessionStore struct {
	codecs []securecookie.Codec // one per secret, the first seals
	secure bool
	now    func() time.Time
	// opened spares a browser's repeated requests the unsealing of the
	// same cookie value (HMAC, AES, base64 and JSON: most of what the
	// reference adds to a proxied request).
	opened *openedCookies
}

func newSessionStore(cfg Config) (*sessionStore, error) {
	codecs := make([]securecookie.Codec, 0, len(cfg.Secrets))
	for _, secret := range cfg.Secrets {
		c, err := newCodec(secret)
		if err != nil {
			return nil, err
		}
		codecs = append(codecs, c)
	}
	return &sessionStore{codecs: codecs, secure: cfg.CookieSecure, now: cfg.now, opened: newOpenedCookies(openedCookiesLimit)}, nil
}

// newCodec seals with one secret: HMAC-SHA256 and AES-256, so the cookie is
// encrypted, not only signed (a signed cookie is tamper-proof but readable,
// and it holds the tokens). The two keys are derived by HKDF under distinct
// labels, so that neither tells anything about the other.
func newCodec(secret string) (securecookie.Codec, error) {
	hashKey, err := hkdf.Key(sha256.New, []byte(secret), nil, hashKeyLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving hash key: %w", err)
	}
	blockKey, err := hkdf.Key(sha256.New, []byte(secret), nil, blockKeyLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving block key: %w", err)
	}
	sc := securecookie.New(hashKey, blockKey)
	sc.SetSerializer(jsonSerializer{})
	sc.MaxAge(int(SessionLifetime / time.Second))
	// The size bound is enforced on the whole Set-Cookie line in cookie,
	// and on the incoming value in open, where it is clearer.
	sc.MaxLength(0)
	return sc, nil
}

// open reads the session from r. rotated says the cookie was sealed under a
// secret other than the first, so the response should reseal it.
func (s *sessionStore) open(r *http.Request) (sess *session, rotated bool, err error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, false, errNoCookie
	}
	if len(c.Value) > MaxCookieBytes {
		return nil, false, fmt.Errorf("%w: %d bytes", errCookieUndecoded, len(c.Value))
	}
	o, err := s.unseal(c.Value)
	if err != nil {
		return nil, false, err
	}
	v := o.sess // a copy: the cached session is never handed out
	if v.Refresh == "" && v.Access == "" {
		return nil, false, fmt.Errorf("%w: no tokens", errCookieUndecoded)
	}
	if !time.Unix(v.RefreshExpiry, 0).After(s.now()) {
		return nil, false, errSessionExpired
	}
	return &v, o.codec > 0, nil
}

// unseal opens a cookie value with the first codec that accepts it, or
// takes what an earlier request's value opened to from s.opened. A cached
// value is still held to securecookie's MaxAge, against the same clock
// securecookie uses; past it, the value goes through the codecs again,
// which refuse it exactly as they would have without the cache.
func (s *sessionStore) unseal(value string) (*openedCookie, error) {
	if o, ok := s.opened.get(value); ok {
		if o.sealedAt >= time.Now().UTC().Unix()-sessionLifetimeSeconds {
			return o, nil
		}
		s.opened.drop(value)
	}
	var errs []string
	for i, codec := range s.codecs {
		var v session
		if err := codec.Decode(CookieName, value, &v); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		o := &openedCookie{sess: v, codec: i}
		if ts, ok := sealedAt(value); ok {
			o.sealedAt = ts
			s.opened.put(value, o)
		}
		return o, nil
	}
	return nil, fmt.Errorf("%w: %s", errCookieUndecoded, strings.Join(errs, "; "))
}

// cookie seals sess into a Set-Cookie value bound to its refresh expiry, or
// refuses one over MaxCookieBytes.
func (s *sessionStore) cookie(sess *session) (*http.Cookie, error) {
	value, err := securecookie.EncodeMulti(CookieName, sess, s.codecs...)
	if err != nil {
		return nil, fmt.Errorf("sealing session: %w", err)
	}
	maxAge := int(time.Unix(sess.RefreshExpiry, 0).Sub(s.now()) / time.Second)
	if maxAge < 1 {
		maxAge = 1
	}
	c := s.sessionCookie(value, maxAge)
	if n := len(c.String()); n > MaxCookieBytes {
		return nil, fmt.Errorf("%w (%d bytes): the backend's tokens are too large for a cookie session", errCookieTooLarge, n)
	}
	return c, nil
}

// clearCookie is the Set-Cookie that makes the browser forget the session.
func (s *sessionStore) clearCookie() *http.Cookie {
	c := s.sessionCookie("", -1) // Max-Age=0
	c.Expires = time.Unix(0, 0)
	return c
}

// sessionCookie is the session cookie with the attributes every Set-Cookie
// of it carries: HttpOnly, so that no page script can read the tokens;
// SameSite=Lax, so that other sites' requests do not carry it; Secure
// unless COOKIE_SECURE=false.
func (s *sessionStore) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// jsonSerializer is securecookie.JSONEncoder, the cookie's wire format,
// with json.Unmarshal in place of a json.Decoder and its read buffer per
// cookie. A value whose MAC verifies was sealed by this proxy, one JSON
// object and a newline, which both read alike.
type jsonSerializer struct{ securecookie.JSONEncoder }

func (jsonSerializer) Deserialize(src []byte, dst any) error {
	return json.Unmarshal(src, dst)
}

// sessionLifetimeSeconds is the MaxAge the codecs are given.
const sessionLifetimeSeconds = int64(SessionLifetime / time.Second)

// sealedAt reads the timestamp securecookie puts in a value
// (base64url of "date|value|mac"), which its MaxAge check compares.
func sealedAt(value string) (int64, bool) {
	raw, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return 0, false
	}
	date, _, ok := bytes.Cut(raw, []byte("|"))
	if !ok {
		return 0, false
	}
	ts, err := strconv.ParseInt(string(date), 10, 64)
	return ts, err == nil
}

// openedCookiesLimit bounds the cache of opened cookie values: at most
// twice this many entries (two generations), some 600 bytes each, so the
// proxy's memory stays flat however many sessions there are.
const openedCookiesLimit = 512

// openedCookie is what a cookie value opened to.
type openedCookie struct {
	sess     session
	codec    int   // index of the codec that opened it: > 0 asks for a reseal
	sealedAt int64 // securecookie's timestamp, Unix seconds
}

// openedCookies maps cookie values to what they opened to. Two generations
// make it a cheap approximation of least-recently-used: when the current
// one is full it becomes the previous one, and an entry found in the
// previous one moves to the current one. Entries are never modified.
type openedCookies struct {
	mu        sync.Mutex
	limit     int
	cur, prev map[string]*openedCookie
}

func newOpenedCookies(limit int) *openedCookies {
	return &openedCookies{limit: limit, cur: make(map[string]*openedCookie, limit)}
}

func (c *openedCookies) get(value string) (*openedCookie, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.cur[value]; ok {
		return o, true
	}
	if o, ok := c.prev[value]; ok {
		delete(c.prev, value)
		c.putLocked(value, o)
		return o, true
	}
	return nil, false
}

func (c *openedCookies) put(value string, o *openedCookie) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(value, o)
}

func (c *openedCookies) putLocked(value string, o *openedCookie) {
	if len(c.cur) >= c.limit {
		c.prev, c.cur = c.cur, make(map[string]*openedCookie, c.limit)
	}
	c.cur[value] = o
}

func (c *openedCookies) drop(value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, value)
	delete(c.prev, value)
}

func (c *openedCookies) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.prev)
}
