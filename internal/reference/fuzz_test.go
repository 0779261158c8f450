package reference

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// FuzzUnsealCookie presents arbitrary Cookie headers to the session store.
// Whatever comes, opening must not panic, and it may yield a session only
// when the cookie was sealed with the store's key: the seeds include
// cookies sealed under the key (their sessions are the only ones that may
// come out) and under another secret (whose session must never come out).
// Committed seeds (garbage, truncations, oversized values) live in
// testdata/fuzz/FuzzUnsealCookie; the sealed seeds are made fresh each run
// because a sealed cookie carries its sealing time and expires.
func FuzzUnsealCookie(f *testing.F) {
	now := time.Now()
	store, err := newSessionStore(Config{Secrets: []string{testSecret}, now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	foreign, err := newSessionStore(Config{Secrets: []string{otherSecret}, now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	sealed := map[string]bool{} // sessionKey of what the key sealed
	seal := func(s *sessionStore, sess session) string {
		c, err := s.cookie(&sess)
		if err != nil {
			f.Fatal(err)
		}
		return c.Value
	}
	for _, sess := range []session{
		{Access: "access-1", Refresh: "refresh-1", RefreshExpiry: now.Add(time.Hour).Unix(), UserID: "u-1", FirstName: "Alice"},
		{Access: "access-2", Refresh: "refresh-2", RefreshExpiry: now.Add(SessionLifetime).Unix(), UserID: "u-2"},
	} {
		sealed[sessionKey(sess)] = true
		v := seal(store, sess)
		f.Add(CookieName + "=" + v)
		f.Add(CookieName + "=" + flipByte(v))
		f.Add(CookieName + "=" + v[:len(v)-1])
		f.Add("other=1; " + CookieName + "=" + v + "; " + CookieName + "=x")
	}
	foreignValue := seal(foreign, session{Access: "foreign", Refresh: "foreign", RefreshExpiry: now.Add(time.Hour).Unix(), UserID: "u-foreign"})
	f.Add(CookieName + "=" + foreignValue)
	// A session already past its bound, sealed with the key: refused too.
	f.Add(CookieName + "=" + seal(store, session{Access: "old", Refresh: "old", RefreshExpiry: now.Add(-time.Minute).Unix(), UserID: "u-expired"}))
	f.Add("")
	f.Add(CookieName + "=")

	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		r.Header.Set("Cookie", header)
		sess, _, err := store.open(r)
		if err != nil {
			if sess != nil {
				t.Fatalf("open returned a session with the error %v", err)
			}
			return
		}
		if sess == nil {
			t.Fatalf("open returned neither a session nor an error")
		}
		if !sealed[sessionKey(*sess)] {
			t.Fatalf("a cookie the key never sealed opened as %+v (Cookie: %q)", *sess, header)
		}
	})
}

// sessionKey is every field of a session, for comparing what opened with
// what was sealed.
func sessionKey(s session) string {
	return fmt.Sprintf("%q %q %d %q %q", s.Access, s.Refresh, s.RefreshExpiry, s.UserID, s.FirstName)
}

// fuzzedProxy is one reference proxy in front of an in-process fake
// backend, with a logged-in session, for FuzzHandler.
type fuzzedProxy struct {
	srv     *Server
	session string   // a valid session cookie value
	tokens  []string // every token the backend issued to it
}

func startFuzzedProxy(f *testing.F) *fuzzedProxy {
	f.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
	defer cancel()
	be, err := fakebackend.Start(ctx, fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = be.Close(ctx)
	})
	srv, err := NewServer(Config{
		BackendURL:     be.URL,
		Secrets:        []string{testSecret},
		BackendTimeout: 2 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, newJSONRequest(http.MethodPost, "/login", aliceLoginJSON))
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == CookieName {
			cookie = c.Value
		}
	}
	if rec.Code != http.StatusOK || cookie == "" {
		f.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	toks, err := be.Control.Tokens(ctx)
	if err != nil {
		f.Fatal(err)
	}
	p := &fuzzedProxy{srv: srv, session: cookie}
	for _, tok := range toks {
		p.tokens = append(p.tokens, tok.Value)
	}
	return p
}

func newJSONRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// FuzzHandler sends an arbitrary method, path, content type, Cookie header
// and body through the whole proxy (reference.NewServer in front of an
// in-process fake backend), with or without a valid session ahead of the
// fuzzed cookies. Whatever comes, the proxy answers: never a panic (the
// recover middleware would make it a 500), never a 5xx other than 502 and
// 503 (which mean "the backend failed"), and never an issued token in the
// answer. Seeds live in testdata/fuzz/FuzzHandler.
func FuzzHandler(f *testing.F) {
	p := startFuzzedProxy(f)

	f.Add("GET", "/api/me", "", "", true, []byte(nil))
	f.Add("GET", "/profile", "", "", true, []byte(nil))
	f.Add("PATCH", "/api/profile", "application/json", "", true, []byte(`{"firstName":"Ann"}`))
	f.Add("PATCH", "/api/profile", "application/json", "", true, []byte(`{"firstName":`))
	f.Add("POST", "/login", "application/json", "", false, []byte(aliceLoginJSON))
	f.Add("POST", "/login", "application/x-www-form-urlencoded", "", false, []byte("email=alice%40example.com&password=x"))
	f.Add("POST", "/login", "multipart/form-data; boundary=x", "", false, []byte("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na\r\n--x--\r\n"))
	f.Add("GET", "/api/me", "", CookieName+"=garbage", false, []byte(nil))
	f.Add("GET", "/login", "", CookieName+"="+flipByte(p.session), false, []byte(nil))
	f.Add("DELETE", "/api/../api/me", "text/plain", "a=b", true, []byte{0xff})

	f.Fuzz(func(t *testing.T, method, target, contentType, cookie string, withSession bool, body []byte) {
		if method == http.MethodPost && strings.HasPrefix(target, "/logout") && withSession {
			// Logging out revokes the one session every other input shares.
			withSession = false
		}
		r, err := http.NewRequest(method, "http://proxy.test"+target, bytes.NewReader(body))
		if err != nil || !strings.HasPrefix(target, "/") {
			t.Skip("not a request net/http would accept")
		}
		r.RequestURI = target
		r.RemoteAddr = "192.0.2.1:4321"
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		header := cookie
		if withSession {
			header = CookieName + "=" + p.session
			if cookie != "" {
				header += "; " + cookie
			}
		}
		if header != "" {
			r.Header.Set("Cookie", header)
		}
		rec := httptest.NewRecorder()
		p.srv.ServeHTTP(rec, r)
		if rec.Code >= 500 && rec.Code != http.StatusBadGateway && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %q: %d %s", method, target, rec.Code, rec.Body)
		}
		answer := rec.Body.String()
		for name, vs := range rec.Header() {
			answer += "\n" + name + ": " + strings.Join(vs, ", ")
		}
		for _, tok := range p.tokens {
			if strings.Contains(answer, tok) {
				t.Fatalf("%s %q: an issued token reached the client", method, target)
			}
		}
	})
}
