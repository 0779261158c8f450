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

	"github.com/refreshspec/refreshspec/fakebackend"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// bugCheck runs one scenario's observation against a proxy switched into
// bug (BugNone for the correct one) and says whether the defect showed.
type bugCheck func(t *testing.T, bug Bug) (caught bool)

// withBug starts a fake backend and a proxy with bug.
func withBug(t *testing.T, bug Bug, mutate ...func(*Config)) (*proxy, *control.Client) {
	be, ctl := startBackend(t, fakebackend.Config{})
	return startProxy(t, be.URL, append([]func(*Config){func(c *Config) { c.Bug = bug }}, mutate...)...), ctl
}

// afterExpiry logs in, expires the access token and makes one request.
func afterExpiry(t *testing.T, bug Bug, method, path, body string) (*proxy, *control.Client, *answer, []control.Entry) {
	p, ctl := withBug(t, bug)
	cookie := p.login()
	expireAccess(t, ctl)
	since := lastSeq(t, ctl)
	a := p.do(request{method: method, path: path, cookie: cookie, body: body})
	return p, ctl, a, journal(t, ctl, since)
}

// transientRefresh queues fault on the refresh after expiry and reports
// whether the session was lost: cleared, overwritten, or unusable after.
func transientRefresh(t *testing.T, bug Bug, f control.Fault) bool {
	p, ctl := withBug(t, bug, func(c *Config) { c.BackendTimeout = 300 * time.Millisecond })
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

var bugChecks = map[string]bugCheck{
	"P1.1": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
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
	"P1.2": func(t *testing.T, bug Bug) bool {
		p, _ := withBug(t, bug)
		return !p.login().HttpOnly
	},
	"P1.3": func(t *testing.T, bug Bug) bool {
		p, _ := withBug(t, bug)
		a := p.do(request{method: http.MethodPost, path: "/login", body: `{"email":"alice@example.com","password":"nope"}`})
		return a.Status != 401 || len(a.SetCookieLines()) != 0
	},
	"P1.4": func(t *testing.T, bug Bug) bool {
		p, _ := withBug(t, bug)
		a := p.do(request{method: http.MethodPost, path: "/login", body: aliceLoginJSON})
		return len(a.SetCookieLines()) != 1 || len(a.SetCookieLines()[0]) > MaxCookieBytes
	},
	"P2.1": func(t *testing.T, bug Bug) bool {
		_, _, a, _ := afterExpiry(t, bug, http.MethodGet, "/profile", "")
		return a.Status != 200 || !strings.Contains(a.Body, ">Alice<")
	},
	"P2.2": func(t *testing.T, bug Bug) bool {
		_, _, a, _ := afterExpiry(t, bug, http.MethodGet, "/api/me", "")
		return a.Status != 200
	},
	"P2.3": func(t *testing.T, bug Bug) bool {
		_, _, _, es := afterExpiry(t, bug, http.MethodPatch, "/api/profile", `{"lastName":"Hargreaves"}`)
		calls := byRoute(es, control.RouteProfile)
		return len(calls) != 2 || calls[0].Body != calls[1].Body
	},
	"P2.4": func(t *testing.T, bug Bug) bool {
		_, _, _, es := afterExpiry(t, bug, http.MethodGet, "/api/me", "")
		refreshes, calls := byRoute(es, control.RouteRefresh), byRoute(es, control.RouteMe)
		if len(refreshes) != 1 || len(calls) != 2 {
			return true
		}
		access, _ := refreshIssued(t, refreshes[0])
		return calls[1].Token != access
	},
	"P3.1": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		cookie := p.login()
		queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 401, Count: 10})
		since := lastSeq(t, ctl)
		p.get("/api/me", cookie)
		es := journal(t, ctl, since)
		return len(byRoute(es, control.RouteRefresh)) != 1 || len(byRoute(es, control.RouteMe)) != 2
	},
	"P3.2": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		cookie := p.login()
		queueFault(t, ctl, control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 403})
		since := lastSeq(t, ctl)
		a := p.get("/api/me", cookie)
		return a.Status != 403 || len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 0
	},
	"P4.1": func(t *testing.T, bug Bug) bool {
		p, ctl, a, es := afterExpiry(t, bug, http.MethodGet, "/api/me", "")
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
	"P4.2": func(t *testing.T, bug Bug) bool {
		p, ctl, a, es := afterExpiry(t, bug, http.MethodGet, "/api/me", "")
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
	"P5.1": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		cookie := p.login()
		revokeAll(t, ctl, lastIssued(t, ctl, control.Refresh))
		a := p.get("/profile", cookie)
		return a.Status != http.StatusSeeOther || !a.Cleared()
	},
	"P5.2": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		cookie := p.login()
		revokeAll(t, ctl, lastIssued(t, ctl, control.Refresh))
		a := p.get("/api/me", cookie)
		return a.Status != 401 || !a.Cleared()
	},
	"P5.3": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		since := lastSeq(t, ctl)
		p.get("/api/me", nil)
		p.get("/profile", nil)
		return len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 0
	},
	"P5.4": func(t *testing.T, bug Bug) bool {
		p, _ := withBug(t, bug)
		return p.get("/login", &http.Cookie{Name: CookieName, Value: "stale"}).Status != 200
	},
	"P6.1": func(t *testing.T, bug Bug) bool {
		return transientRefresh(t, bug, control.Fault{Kind: control.FaultStatus, Status: 500})
	},
	"P6.2": func(t *testing.T, bug Bug) bool {
		return transientRefresh(t, bug, control.Fault{Kind: control.FaultDrop})
	},
	"P6.3": func(t *testing.T, bug Bug) bool {
		return transientRefresh(t, bug, control.Fault{Kind: control.FaultStatus, Body: control.BodyMissingField})
	},
	"P6.4": func(t *testing.T, bug Bug) bool {
		return transientRefresh(t, bug, control.Fault{Kind: control.FaultStatus, Status: 429})
	},
	"P7.1": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
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
	"P7.2": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		a, b := p.login(), p.login()
		expireAccess(t, ctl)
		since := lastSeq(t, ctl)
		ra, rb := p.get("/api/me", a), p.get("/api/me", b)
		return ra.Status != 200 || rb.Status != 200 || len(byRoute(journal(t, ctl, since), control.RouteRefresh)) != 2
	},
	"P8.1": func(t *testing.T, bug Bug) bool {
		p, _ := withBug(t, bug)
		c := p.login()
		a := p.get("/api/me", &http.Cookie{Name: CookieName, Value: flipByte(c.Value)})
		return a.Status >= 500
	},
	"P8.2": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		be := strings.TrimSuffix(p.srv.cfg.BackendURL, "/")
		foreign := startProxy(t, be, func(c *Config) { c.Bug = bug; c.Secrets = []string{otherSecret} })
		cookie := foreign.login()
		since := lastSeq(t, ctl)
		accepted := p.get("/api/me", cookie).Status == 200
		return accepted || len(journal(t, ctl, since)) != 0
	},
	"P8.3": func(t *testing.T, bug Bug) bool {
		oldOnly, _ := withBug(t, bug, func(c *Config) { c.Secrets = []string{otherSecret} })
		rotated := startProxy(t, oldOnly.srv.cfg.BackendURL, func(c *Config) { c.Bug = bug; c.Secrets = []string{testSecret, otherSecret} })
		return rotated.get("/api/me", oldOnly.login()).Status != 200
	},
	"P8.4": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
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
	"P8.5": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
		cookie := p.login()
		since := lastSeq(t, ctl)
		a := p.do(request{method: http.MethodPost, path: "/logout", cookie: cookie})
		return !a.Cleared() || len(byRoute(journal(t, ctl, since), control.RouteLogout)) != 1
	},
	// The browser scenarios' bugs, seen over HTTP: spec/browsertest shows
	// that Chromium sees them too.
	"W1.2": func(t *testing.T, bug Bug) bool {
		p, ctl := withBug(t, bug)
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
	"W1.4": func(t *testing.T, bug Bug) bool {
		p, _ := withBug(t, bug)
		cookie := p.login()
		a := p.get("/profile", cookie)
		return !strings.Contains(string(a.Body), "window.location.href = '/login'")
	},
}

// TestEachBugIsObservable: every deliberate bug shows in the observation of
// its scenario, and the correct proxy shows none of them. This is the
// package-level half of the mutation self-test: the proxy suite's half
// (spec/proxytest) checks that the suite itself notices.
func TestEachBugIsObservable(t *testing.T) {
	for _, bug := range AllBugs {
		id := BugScenario[bug]
		check, ok := bugChecks[id]
		if !ok {
			t.Errorf("no check for %s (%s)", bug, id)
			continue
		}
		t.Run(string(bug), func(t *testing.T) {
			if !check(t, bug) {
				t.Errorf("bug %s does not show in %s", bug, id)
			}
		})
	}
	for id, check := range bugChecks {
		t.Run("correct/"+id, func(t *testing.T) {
			if check(t, BugNone) {
				t.Errorf("the correct proxy fails %s", id)
			}
		})
	}
}

// zlibDecodings are what the "."-separated base64url parts of v inflate to
// as zlib: the readable payload of a Flask- or Django-style signed cookie
// (the signed-zlib-cookie bug).
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
