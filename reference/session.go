package reference

import (
	"bytes"
	"compress/zlib"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// developmentSecret is what the foreign-cookie-accepted bug seals with: a
// built-in default that shadows SESSION_SECRET.
const developmentSecret = "refreshspec-default-secret-0123456789"

// session is what the cookie carries: as little as the proxy needs.
type session struct {
	Access  string `json:"a"`
	Refresh string `json:"r"`
	// RefreshExpiry (Unix seconds) bounds the session: login time plus
	// SessionLifetime, kept across refreshes.
	RefreshExpiry int64  `json:"e"`
	UserID        string `json:"u,omitempty"`
	FirstName     string `json:"n,omitempty"`

	// Login and Pad are only filled by the cookie-bloat bug.
	Login json.RawMessage `json:"l,omitempty"`
	Pad   string          `json:"p,omitempty"`
}

var (
	errNoCookie        = errors.New("no session cookie")
	errSessionExpired  = errors.New("session past its refresh expiry")
	errCookieTooLarge  = errors.New("session cookie would exceed 4096 bytes")
	errCookieUndecoded = errors.New("session cookie does not unseal")
)

// sessionStore seals and unseals sessions and writes the cookie.
type sessionStore struct {
	codecs []securecookie.Codec
	secure bool
	bug    Bug
	now    func() time.Time
	// opened spares a browser's repeated requests the unsealing of the
	// same cookie value (HMAC, AES, base64 and JSON: most of what the
	// reference adds to a proxied request).
	opened *openedCookies
}

func newSessionStore(cfg Config) (*sessionStore, error) {
	secrets := cfg.Secrets
	if cfg.Bug == BugForeignCookieAccepted {
		// The defect: a built-in default shadows SESSION_SECRET, so every
		// instance seals with the same keys whatever it was configured with.
		secrets = []string{developmentSecret}
	}
	if cfg.Bug == BugNoKeyRotation {
		secrets = secrets[:1]
	}
	pairs := make([][]byte, 0, 2*len(secrets))
	var zlibSigned []securecookie.Codec
	for _, s := range secrets {
		hashKey, err := hkdf.Key(sha256.New, []byte(s), nil, hashKeyLabel, 32)
		if err != nil {
			return nil, fmt.Errorf("deriving hash key: %w", err)
		}
		blockKey, err := hkdf.Key(sha256.New, []byte(s), nil, blockKeyLabel, 32)
		if err != nil {
			return nil, fmt.Errorf("deriving block key: %w", err)
		}
		if cfg.Bug == BugSignedOnlyCookie {
			blockKey = nil // signed, not encrypted: the session is readable
		}
		pairs = append(pairs, hashKey, blockKey)
		zlibSigned = append(zlibSigned, zlibSignedCodec{hashKey: hashKey})
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	if cfg.Bug == BugSignedZlibCookie {
		// The defect: Flask's and Django's signed-cookie format, compressed
		// and signed but not encrypted, so the tokens are readable.
		return &sessionStore{codecs: zlibSigned, secure: cfg.CookieSecure, bug: cfg.Bug, now: cfg.now, opened: newOpenedCookies(openedCookiesLimit)}, nil
	}
	for _, c := range codecs {
		sc := c.(*securecookie.SecureCookie)
		sc.SetSerializer(jsonSerializer{})
		sc.MaxAge(int(SessionLifetime / time.Second))
		// The size bound is enforced on the whole Set-Cookie line in seal,
		// and on the incoming value in open, where it is clearer.
		sc.MaxLength(0)
	}
	return &sessionStore{codecs: codecs, secure: cfg.CookieSecure, bug: cfg.Bug, now: cfg.now, opened: newOpenedCookies(openedCookiesLimit)}, nil
}

// open reads the session from r. rotated says the cookie was sealed under a
// secret other than the first, so the response should reseal it.
func (s *sessionStore) open(r *http.Request) (sess *session, rotated bool, err error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, false, errNoCookie
	}
	if len(c.Value) > MaxCookieBytes && s.bug != BugCookieBloat {
		return nil, false, fmt.Errorf("%w: %d bytes", errCookieUndecoded, len(c.Value))
	}
	o, err := s.unseal(c.Value)
	if err != nil {
		return nil, false, err
	}
	v := o.sess // a copy: the cached session is never handed out
	if v.Refresh == "" && v.Access == "" && s.bug != BugMalformedOverwrites {
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
	c := &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: s.bug != BugNoHTTPOnly,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if n := len(c.String()); n > MaxCookieBytes && s.bug != BugCookieBloat {
		return nil, fmt.Errorf("%w (%d bytes): the backend's tokens are too large for a cookie session", errCookieTooLarge, n)
	}
	return c, nil
}

// clearCookie is the Set-Cookie that makes the browser forget the session.
func (s *sessionStore) clearCookie() *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1, // Max-Age=0
		Expires:  time.Unix(0, 0),
		HttpOnly: s.bug != BugNoHTTPOnly,
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

// zlibSignedCodec seals as "." + base64url(zlib(json)) + "." +
// base64url(hmac), the shape of Flask's and Django's signed cookies: only the
// signed-zlib-cookie bug uses it, to show that the leak scan sees through
// compression.
type zlibSignedCodec struct{ hashKey []byte }

func (c zlibSignedCodec) mac(name, payload string) string {
	m := hmac.New(sha256.New, c.hashKey)
	m.Write([]byte(name + "|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c zlibSignedCodec) Encode(name string, value any) (string, error) {
	js, err := json.Marshal(value)
	if err != nil {
		return "", fmt.Errorf("encoding session: %w", err)
	}
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(js); err != nil {
		return "", fmt.Errorf("compressing session: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("compressing session: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(buf.Bytes())
	return "." + payload + "." + c.mac(name, payload), nil
}

func (c zlibSignedCodec) Decode(name, value string, dst any) error {
	payload, sig, ok := strings.Cut(strings.TrimPrefix(value, "."), ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(c.mac(name, payload))) {
		return errors.New("signed-zlib cookie: bad signature")
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return fmt.Errorf("signed-zlib cookie: %w", err)
	}
	r, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("signed-zlib cookie: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(r, MaxCookieBytes*8))
	if err != nil {
		return fmt.Errorf("signed-zlib cookie: %w", err)
	}
	return json.Unmarshal(js, dst)
}
