package reference

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// observation runs what one scenario of the proxy suite observes, in
// miniature, against the reference, and says whether the requirement was
// violated.
type observation func(t *testing.T) (violated bool)

// withBackend starts a fake backend and a proxy in front of it.
func withBackend(t *testing.T, mutate ...func(*Config)) (*proxy, *control.Client) {
	be, ctl := startBackend(t, fakebackend.Config{})
	return startProxy(t, be.URL, mutate...), ctl
}

// afterExpiry logs in, expires the access token and makes one request.
func afterExpiry(t *testing.T, method, path, body string) (*proxy, *control.Client, *answer, []control.Entry) {
	p, ctl := withBackend(t)
	cookie := p.login()
	expireAccess(t, ctl)
	since := lastSeq(t, ctl)
	a := p.do(request{method: method, path: path, cookie: cookie, body: body})
	return p, ctl, a, journal(t, ctl, since)
}

// transientRefresh queues fault on the refresh after expiry and reports
// whether the session was lost: cleared, overwritten, or unusable after.
func transientRefresh(t *testing.T, f control.Fault) bool {
	p, ctl := withBackend(t, func(c *Config) { c.BackendTimeout = 300 * time.Millisecond })
	cookie := p.login()
	expireAccess(t, ctl)
	f.Route = control.RouteRefresh
	queueFault(t, ctl, f)
	a := p.get("/api/me", cookie)
	if len(a.SetCookieLines()) != 0 || a.Status == 200 {
		return true
	}
	return p.get("/api/me", cookie).Status != 200
}

var observations = map[string]observation{
	"P1.1": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		c := p.login()
		for _, tok := range issuedTokens(t, ctl) {
			for _, d := range append(decodings(c.Value), zlibDecodings(c.Value)...) {
				if strings.Contains(d, tok.Value) {
					return true
				}
			}
		}
		return false
	},
	"P1.2": func(t *testing.T) bool {
		p, _ := withBackend(t)
		return !p.login().HttpOnly
	},
	"P1.3": func(t *testing.T) bool {
		p, _ := withBackend(t)
		a := p.do(request{method: http.MethodPost, path: "/login", body: `{"email":"alice@example.com","password":"nope"}`})
		return a.Status != 401 || len(a.SetCookieLines()) != 0
	},
	"P1.4": func(t *testing.T) bool {
		p, _ := withBackend(t)
		a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
		return len(a.SetCookieLines()) != 1 || len(a.SetCookieLines()[0]) > MaxCookieBytes
	},
	"P2.1": func(t *testing.T) bool {
		_, _, a, _ := afterExpiry(t, http.MethodGet, "/profile", "")
		return a.Status != 200 || !strings.Contains(a.Body, ">Alice<")
	},
	"P2.2": func(t *testing.T) bool {
		_, _, a, _ := afterExpiry(t, http.MethodGet, "/api/me", "")
		return a.Status != 200
	},
	"P2.3": func(t *testing.T) bool {
		_, _, _, es := afterExpiry(t, http.MethodPatch, "/api/profile", `{"lastName":"Hargreaves"}`)
		calls := byRoute(es, control.RouteProfile)
		return len(calls) != 2 || calls[0].Body != calls[1].Body
	},
	"P2.4": func(t *testing.T) bool {
		_, _, _, es := afterExpiry(t, http.MethodGet, "/api/me", "")
		refreshes, calls := byRoute(es, control.RouteRefresh), byRoute(es, control.RouteMe)
		if len(refreshes) != 1 || len(calls) != 2 {
			return true
		}
		access, _ := refreshIssued(t, refreshes[0])
		return calls[1].Token != access
	},
	"P3.1": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		cookie := p.login()
		queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 401, Count: 10})
		since := lastSeq(t, ctl)
		p.get("/api/me", cookie)
		es := journal(t, ctl, since)
		return len(byRoute(es, control.RouteRefresh)) != 1 || len(byRoute(es, control.RouteMe)) != 2
	},
	"P3.2": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		cookie := p.login()
		queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 403})
		since := lastSeq(t, ctl)
		a := p.get("/api/me", cookie)
		return a.Status != 403 || len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 0
	},
	"P4.1": func(t *testing.T) bool {
		p, ctl, a, es := afterExpiry(t, http.MethodGet, "/api/me", "")
		refreshes := byRoute(es, control.RouteRefresh)
		if a.Status != 200 || len(refreshes) != 1 {
			return true
		}
		access, _ := refreshIssued(t, refreshes[0])
		cookie := a.SessionCookie()
		if cookie == nil {
			return true
		}
		since := lastSeq(t, ctl)
		p.get("/api/me", cookie)
		calls := journal(t, ctl, since)
		return len(calls) != 1 || calls[0].Token != access
	},
	"P4.2": func(t *testing.T) bool {
		p, ctl, a, es := afterExpiry(t, http.MethodGet, "/api/me", "")
		refreshes := byRoute(es, control.RouteRefresh)
		if a.Status != 200 || len(refreshes) != 1 || a.SessionCookie() == nil {
			return true
		}
		_, newRefresh := refreshIssued(t, refreshes[0])
		expireAccess(t, ctl)
		since := lastSeq(t, ctl)
		b := p.get("/api/me", a.SessionCookie())
		second := byRoute(journal(t, ctl, since), control.RouteRefresh)
		return b.Status != 200 || len(second) != 1 || second[0].Token != newRefresh
	},
	"P5.1": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		cookie := p.login()
		revokeAll(t, ctl, lastIssued(t, ctl, control.Refresh))
		a := p.get("/profile", cookie)
		return a.Status != http.StatusSeeOther || !a.Cleared()
	},
	"P5.2": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		cookie := p.login()
		revokeAll(t, ctl, lastIssued(t, ctl, control.Refresh))
		a := p.get("/api/me", cookie)
		return a.Status != 401 || !a.Cleared()
	},
	"P5.3": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		since := lastSeq(t, ctl)
		p.get("/api/me", nil)
		p.get("/profile", nil)
		return len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 0
	},
	"P5.4": func(t *testing.T) bool {
		p, _ := withBackend(t)
		return p.get("/login", &http.Cookie{Name: CookieName, Value: "stale"}).Status != 200
	},
	"P6.1": func(t *testing.T) bool {
		return transientRefresh(t, control.Fault{Kind: control.FaultStatus, Status: 500})
	},
	"P6.2": func(t *testing.T) bool {
		return transientRefresh(t, control.Fault{Kind: control.FaultDrop})
	},
	"P6.3": func(t *testing.T) bool {
		return transientRefresh(t, control.Fault{Kind: control.FaultStatus, Body: control.BodyMissingField})
	},
	"P6.4": func(t *testing.T) bool {
		return transientRefresh(t, control.Fault{Kind: control.FaultStatus, Status: 429})
	},
	"P7.1": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		cookie := p.login()
		expireAccess(t, ctl)
		since := lastSeq(t, ctl)
		answers := concurrently(10, func(int) *answer { return p.get("/api/me", cookie) })
		for _, a := range answers {
			if a.Status != 200 {
				return true
			}
		}
		return len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 1
	},
	"P7.2": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		a, b := p.login(), p.login()
		expireAccess(t, ctl)
		since := lastSeq(t, ctl)
		ra, rb := p.get("/api/me", a), p.get("/api/me", b)
		return ra.Status != 200 || rb.Status != 200 || len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 2
	},
	"P8.1": func(t *testing.T) bool {
		p, _ := withBackend(t)
		c := p.login()
		a := p.get("/api/me", &http.Cookie{Name: CookieName, Value: flipByte(c.Value)})
		return a.Status >= 500
	},
	"P8.2": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		be := strings.TrimSuffix(p.srv.cfg.BackendURL, "/")
		foreign := startProxy(t, be, func(c *Config) { c.Secrets = []string{otherSecret} })
		cookie := foreign.login()
		since := lastSeq(t, ctl)
		accepted := p.get("/api/me", cookie).Status == 200
		return accepted || len(journal(t, ctl, since)) != 0
	},
	"P8.3": func(t *testing.T) bool {
		oldOnly, _ := withBackend(t, func(c *Config) { c.Secrets = []string{otherSecret} })
		rotated := startProxy(t, oldOnly.srv.cfg.BackendURL, func(c *Config) { c.Secrets = []string{testSecret, otherSecret} })
		return rotated.get("/api/me", oldOnly.login()).Status != 200
	},
	"P8.4": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		a := p.get("/api/me", p.login())
		for _, tok := range issuedTokens(t, ctl) {
			for name, vs := range a.Header {
				if strings.Contains(name+strings.Join(vs, ","), tok.Value) {
					return true
				}
			}
		}
		return false
	},
	"P8.5": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		cookie := p.login()
		since := lastSeq(t, ctl)
		a := p.do(request{method: http.MethodPost, path: "/logout", cookie: cookie})
		return !a.Cleared() || len(byRoute(journal(t, ctl, since), control.RouteLogout)) != 1
	},
	// The browser scenarios' HTTP side: spec/browsertest shows the rest in
	// Chromium.
	"W1.2": func(t *testing.T) bool {
		p, ctl := withBackend(t)
		a := p.do(request{method: http.MethodPost, path: "/login", body: `{"email":"alice@example.com","password":"correct horse"}`})
		toks, err := ctl.Tokens(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range a.SetCookieLines() {
			for _, tok := range toks {
				if strings.Contains(line, tok.Value) && !strings.Contains(strings.ToLower(line), "httponly") {
					return true
				}
			}
		}
		return false
	},
	"W1.4": func(t *testing.T) bool {
		p, _ := withBackend(t)
		cookie := p.login()
		a := p.get("/profile", cookie)
		return !strings.Contains(string(a.Body), "window.location.href = '/login'")
	},
}

// TestScenarioObservations: the reference meets, in miniature, what each
// scenario of the proxy suite (and the browser scenarios' HTTP side)
// observes. The suites prove the full observation; these fail at once, next
// to the code, when a change breaks one. That each observation can fail is
// shown by the mutants (internal/reference/mutants): the suites' mutation tests
// catch every one on its scenario.
func TestScenarioObservations(t *testing.T) {
	for id, violated := range observations {
		t.Run(id, func(t *testing.T) {
			if violated(t) {
				t.Errorf("the reference fails %s", id)
			}
		})
	}
}

// zlibDecodings are what the "."-separated base64url parts of v inflate to
// as zlib: the readable payload of a Flask- or Django-style signed cookie,
// which P1.1 must see through.
func zlibDecodings(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ".") {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil {
			continue
		}
		r, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		if b, err := io.ReadAll(io.LimitReader(r, 1<<20)); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}
