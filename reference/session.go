package reference

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		sc := c.(*securecookie.SecureCookie)
		sc.SetSerializer(securecookie.JSONEncoder{})
		sc.MaxAge(int(SessionLifetime / time.Second))
		// The size bound is enforced on the whole Set-Cookie line in seal,
		// and on the incoming value in open, where it is clearer.
		sc.MaxLength(0)
	}
	return &sessionStore{codecs: codecs, secure: cfg.CookieSecure, bug: cfg.Bug, now: cfg.now}, nil
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
	var errs []string
	for i, codec := range s.codecs {
		var v session
		if err := codec.Decode(CookieName, c.Value, &v); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if v.Refresh == "" && v.Access == "" && s.bug != BugMalformedOverwrites {
			return nil, false, fmt.Errorf("%w: no tokens", errCookieUndecoded)
		}
		if !time.Unix(v.RefreshExpiry, 0).After(s.now()) {
			return nil, false, errSessionExpired
		}
		return &v, i > 0, nil
	}
	return nil, false, fmt.Errorf("%w: %s", errCookieUndecoded, strings.Join(errs, "; "))
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
