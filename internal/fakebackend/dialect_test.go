package fakebackend_test

import (
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// Every dialect: a login answers both tokens where the mapping says, with
// Cache-Control: no-store, and the resource answers the user's first name
// where the mapping says; the journal names the contract's role with the
// real method and path.
func TestDialectLoginAndResource(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		a := d.login(aliceEmail, alicePassword)
		tok := d.tokens(a)
		if tok.Access == tok.Refresh || len(tok.Access) != 43 {
			t.Errorf("tokens %q %q: want two different 32-byte base64url tokens", tok.Access, tok.Refresh)
		}
		if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", a.header)
		}
		if !tok.HasExpiresIn || tok.ExpiresIn != 900 {
			t.Errorf("expires_in: %v %v; %s", tok.HasExpiresIn, tok.ExpiresIn, a.raw)
		}
		if want := map[bool]string{true: "Bearer", false: ""}[dialect.Has(d.m.Paths.TokenType)]; tok.TokenType != want {
			t.Errorf("token type %q, want %q", tok.TokenType, want)
		}
		if want := map[bool]string{true: "Alice", false: ""}[dialect.Has(d.m.Paths.FirstName)]; tok.FirstName != want {
			t.Errorf("first name in the login answer %q, want %q; %s", tok.FirstName, want, a.raw)
		}
		e := d.expectJournal(control.RouteLogin, d.m.Login, 200, control.OutcomeOK)
		if len(e.Issued) != 2 || e.Issued[0].Value != tok.Access || e.Issued[1].Value != tok.Refresh {
			t.Errorf("journal issued %+v", e.Issued)
		}

		m := d.me(tok.Access)
		if name, err := d.m.ReadMe(m.raw); m.status != 200 || err != nil || name != "Alice" {
			t.Errorf("me: %d %q %v; %s", m.status, name, err, m.raw)
		}
		d.expectJournal(control.RouteMe, d.m.Me, 200, control.OutcomeOK)

		bad := d.login(aliceEmail, "wrong")
		if d.m.IsOAuth2() {
			d.expectFailure(bad, 400, "invalid_grant")
		} else {
			d.expectFailure(bad, 401, "invalid_credentials")
		}
		d.expectJournal(control.RouteLogin, d.m.Login, bad.status, control.OutcomeInvalidCredentials)
	})
}

// Every dialect rotates on refresh, treats the rotated-away token as reuse
// and revokes the whole family, and leaves other families alone.
func TestDialectRotationAndReuse(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		first := d.loginAlice()
		other := d.loginAlice()
		a := d.refresh(first.refresh)
		second := pair{d.tokens(a).Access, d.tokens(a).Refresh}
		if second.access == first.access || second.refresh == first.refresh {
			t.Fatalf("no rotation: %+v then %+v", first, second)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("refresh Cache-Control %q", a.header.Get("Cache-Control"))
		}
		e := d.expectJournal(control.RouteRefresh, d.m.Refresh, 200, control.OutcomeOK)
		if e.Token != first.refresh || e.Family != "f-1" || len(e.Issued) != 2 || e.Issued[1].Value != second.refresh {
			t.Errorf("journal: %+v", e)
		}
		if m := d.me(first.access); m.status != 200 {
			t.Errorf("the access token of before stops at once: %d", m.status)
		}

		d.expectFailure(d.refresh(first.refresh), d.invalidGrantStatus(), "invalid_grant")
		d.expectJournal(control.RouteRefresh, d.m.Refresh, d.invalidGrantStatus(), control.OutcomeReuse)
		d.expectFailure(d.refresh(second.refresh), d.invalidGrantStatus(), "invalid_grant")
		d.expectJournal(control.RouteRefresh, d.m.Refresh, d.invalidGrantStatus(), control.OutcomeInvalidGrant)
		m := d.me(second.access)
		d.expectFailure(m, 401, "invalid_token")
		if m.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
			t.Errorf("WWW-Authenticate %q", m.header.Get("WWW-Authenticate"))
		}
		if bare := d.send(d.m.NewMeRequest(bg, d.run.URL, "")); bare.status != 401 || bare.header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("no token: %d %q, want 401 with the bare challenge (RFC 6750 §3.1)", bare.status, bare.header.Get("WWW-Authenticate"))
		}
		d.mustRefresh(other.refresh)
		d.expectFailure(d.refresh("never-issued"), d.invalidGrantStatus(), "invalid_grant")
	})
}

// The grace window, the rate limit and the fake clock work in every dialect.
func TestDialectGraceRateLimitAndClock(t *testing.T) {
	forEachDialect(t, fakebackend.Config{GraceWindow: 10 * time.Second}, func(t *testing.T, d *wireBackend) {
		first := d.loginAlice()
		second := d.mustRefresh(first.refresh)
		if again := d.mustRefresh(first.refresh); again != second {
			t.Errorf("grace: %+v, want the same successor %+v", again, second)
		}
		d.expectJournal(control.RouteRefresh, d.m.Refresh, 200, control.OutcomeGrace)

		d.advance(11 * time.Second)
		d.expectFailure(d.refresh(first.refresh), d.invalidGrantStatus(), "invalid_grant")

		d.patch(control.SettingsPatch{RateLimit: &control.RateLimit{Enabled: true, PerFamily: 2, PerAddress: 100, Window: control.Duration(time.Minute)}})
		p := d.loginAlice()
		p = d.mustRefresh(p.refresh)
		p = d.mustRefresh(p.refresh)
		limited := d.refresh(p.refresh)
		d.expectFailure(limited, 429, "rate_limited")
		if limited.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		d.expectJournal(control.RouteRefresh, d.m.Refresh, 429, control.OutcomeRateLimited)
		d.advance(time.Minute)
		p = d.mustRefresh(p.refresh)

		if _, err := d.ctl.Expire(bg, "", control.Access); err != nil {
			t.Fatal(err)
		}
		d.expectFailure(d.me(p.access), 401, "invalid_token")
	})
}

// Logout answers 200 for any token in every dialect (RFC 7009 for
// oauth2) and revokes the family only for its current refresh token.
func TestDialectLogout(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		p := d.loginAlice()
		for _, tok := range []string{p.access, "never-issued"} {
			if a := d.logout(tok); a.status != 200 {
				t.Errorf("revoking %q: %d %s, want 200", tok, a.status, a.raw)
			}
			d.expectJournal(control.RouteLogout, d.m.Logout, 200, control.OutcomeNotRevoked)
		}
		if m := d.me(p.access); m.status != 200 {
			t.Errorf("revoking an access token revoked its family: %d", m.status)
		}
		used := p.refresh
		p = d.mustRefresh(p.refresh)
		d.logout(used)
		d.expectJournal(control.RouteLogout, d.m.Logout, 200, control.OutcomeNotRevoked)
		if m := d.me(p.access); m.status != 200 {
			t.Errorf("revoking a used refresh token revoked its family: %d", m.status)
		}
		a := d.logout(p.refresh)
		if a.status != 200 {
			t.Fatalf("logout: %d %s", a.status, a.raw)
		}
		e := d.expectJournal(control.RouteLogout, d.m.Logout, 200, control.OutcomeOK)
		if e.Token != p.refresh || e.Family == "" {
			t.Errorf("journal: %+v", e)
		}
		d.expectFailure(d.refresh(p.refresh), d.invalidGrantStatus(), "invalid_grant")
		d.expectFailure(d.me(p.access), 401, "invalid_token")
		if again := d.logout(p.refresh); again.status != 200 {
			t.Errorf("logging out twice: %d", again.status)
		}
	})
}

// The profile route changes the names the resource answers, in every dialect.
func TestDialectProfile(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		p := d.loginAlice()
		a := d.raw(d.m.Profile.Method, d.m.Profile.Path, "application/json", `{"firstName":"Alicia"}`, "Authorization", "Bearer "+p.access)
		if name, err := d.m.ReadMe(a.raw); a.status != 200 || err != nil || name != "Alicia" {
			t.Errorf("profile: %d %q %v; %s", a.status, name, err, a.raw)
		}
		d.expectJournal(control.RouteProfile, d.m.Profile, 200, control.OutcomeOK)
		if name, _ := d.m.ReadMe(d.me(p.access).raw); name != "Alicia" {
			t.Errorf("me after the update: %q", name)
		}
	})
}

// Malformed bodies are 400 invalid_request in the mapping's error body, and
// wrong methods 405 with Allow, in every dialect.
func TestDialectBadRequests(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		ct := map[string]string{dialect.BodyJSON: "application/json", dialect.BodyForm: "application/x-www-form-urlencoded"}[d.m.Refresh.Body]
		var client []string // a well-authenticated client, so that the body is what is wrong
		if d.m.IsOAuth2() {
			req, _ := d.m.NewRefreshRequest(bg, d.run.URL, "x")
			client = []string{"Authorization", req.Header.Get("Authorization")}
		}
		for _, body := range []string{"", "{", "[]", `{"refresh_token":7}`, "%zz"} {
			d.expectFailure(d.raw(d.m.Refresh.Method, d.m.Refresh.Path, ct, body, client...), 400, "invalid_request")
			d.expectJournal(control.RouteRefresh, d.m.Refresh, 400, control.OutcomeInvalidRequest)
		}
		a := d.raw("GET", d.m.Refresh.Path, "", "")
		d.expectFailure(a, 405, "method_not_allowed")
		if a.header.Get("Allow") != d.m.Refresh.Method {
			t.Errorf("Allow %q, want %q", a.header.Get("Allow"), d.m.Refresh.Method)
		}
		d.expectFailure(d.raw("POST", "/no/such/route", "", ""), 404, "not_found")
	})
}

// A fault queued for a role answers that role's next call at the mapping's
// route, its body shaped for the dialect, and touches nothing in the store.
func TestDialectFaults(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		p := d.loginAlice()
		cut := strings.Index(d.m.Paths.AccessToken, ".")
		wantEmpty := map[bool]string{true: "{}\n", false: `{"success":true,"data":{}}` + "\n"}[cut < 0]
		for _, c := range []struct {
			name  string
			fault control.Fault
			check func(a answer)
		}{
			{"500", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 500}, func(a answer) {
				d.expectFailure(a, 500, "server_error")
			}},
			{"401", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 401}, func(a answer) {
				d.expectFailure(a, 401, "invalid_grant")
			}},
			{"html", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 502, Body: control.BodyHTML}, func(a answer) {
				if a.status != 502 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.raw), "<h1>") {
					t.Errorf("html fault: %d %q %s", a.status, a.header.Get("Content-Type"), a.raw)
				}
			}},
			{"truncated", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyTruncated}, func(a answer) {
				leaf := dialect.Leaf(d.m.Paths.AccessToken)
				if a.status != 200 || !strings.HasSuffix(string(a.raw), `"`+leaf+`":"`) {
					t.Errorf("truncated fault: %d %s, want JSON cut inside %q", a.status, a.raw, leaf)
				}
			}},
			{"missing field", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyMissingField}, func(a answer) {
				_, err := d.m.ReadTokens(a.raw)
				if a.status != 200 || err == nil || !strings.Contains(err.Error(), "no access token") {
					t.Errorf("missing-field fault: %d %v %s", a.status, err, a.raw)
				}
				if v, _ := dialect.LookupString(a.body, d.m.Paths.RefreshToken); v == "" {
					t.Errorf("missing-field fault without a refresh token at %s: %s", d.m.Paths.RefreshToken, a.raw)
				}
			}},
			{"missing refresh", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyMissingRefresh}, func(a answer) {
				_, err := d.m.ReadTokens(a.raw)
				if a.status != 200 || err == nil || !strings.Contains(err.Error(), "no refresh token") || d.lookup(a, d.m.Paths.RefreshToken) != nil {
					t.Errorf("missing-refresh fault: %d %v %s", a.status, err, a.raw)
				}
			}},
			{"empty tokens", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyEmptyTokens}, func(a answer) {
				if a.status != 200 || d.lookup(a, d.m.Paths.AccessToken) != "" || d.lookup(a, d.m.Paths.RefreshToken) != "" {
					t.Errorf("empty-tokens fault: %d %s, want \"\" at %s and %s", a.status, a.raw, d.m.Paths.AccessToken, d.m.Paths.RefreshToken)
				}
			}},
			{"wrong types", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyWrongTypes}, func(a answer) {
				_, number := d.lookup(a, d.m.Paths.AccessToken).(float64)
				object, isObject := d.lookup(a, d.m.Paths.RefreshToken).(map[string]any)
				if a.status != 200 || !number || !isObject || len(object) != 0 {
					t.Errorf("wrong-types fault: %d %s, want a number at %s and {} at %s", a.status, a.raw, d.m.Paths.AccessToken, d.m.Paths.RefreshToken)
				}
			}},
			{"success false", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Body: control.BodyNotSuccess}, func(a answer) {
				if !dialect.Has(d.m.SuccessFlag) {
					// No flag to say no with: the mapping's failure body, sent with the 200.
					if a.status != 200 || d.lookup(a, d.m.Errors.Code) != "server_error" || d.lookup(a, d.m.Paths.AccessToken) != nil {
						t.Errorf("success-false fault without a success flag: %d %s, want the failure body", a.status, a.raw)
					}
					return
				}
				tokens, err := d.m.ReadTokens(a.raw)
				if a.status != 200 || d.lookup(a, d.m.SuccessFlag) != false || err != nil || tokens.Access == "" {
					t.Errorf("success-false fault: %d %v %s, want both tokens and %s false", a.status, err, a.raw, d.m.SuccessFlag)
				}
			}},
			{"200", control.Fault{Route: control.RouteRefresh, Kind: control.FaultStatus, Status: 200}, func(a answer) {
				if string(a.raw) != wantEmpty {
					t.Errorf("200 fault: %s, want %s", a.raw, wantEmpty)
				}
			}},
		} {
			d.queue(c.fault)
			c.check(d.refresh(p.refresh))
			e := d.expectJournal(control.RouteRefresh, d.m.Refresh, d.last().Status, control.OutcomeFault)
			if e.Token != p.refresh || e.Family != "f-1" {
				t.Errorf("%s: a faulted refresh journals its token: %+v", c.name, e)
			}
		}
		d.queue(control.Fault{Route: control.RouteMe, Kind: control.FaultStatus, Status: 401})
		m := d.me(p.access)
		d.expectFailure(m, 401, "invalid_token")
		if m.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
			t.Errorf("me fault: WWW-Authenticate %q", m.header.Get("WWW-Authenticate"))
		}
		d.queue(control.Fault{Route: control.RouteLogin, Kind: control.FaultStatus, Status: 503})
		d.mustRefresh(p.refresh) // a login fault leaves refreshes alone, even on a shared token endpoint
		d.expectFailure(d.login(aliceEmail, alicePassword), 503, "server_error")
		d.expectJournal(control.RouteLogin, d.m.Login, 503, control.OutcomeFault)
		d.queue(control.Fault{Route: control.RouteLogout, Kind: control.FaultDrop})
		if req, err := d.m.NewLogoutRequest(bg, d.run.URL, "x"); err != nil {
			t.Fatal(err)
		} else if resp, err := d.http.Do(req); err == nil {
			resp.Body.Close()
			t.Errorf("a dropped logout answered %d", resp.StatusCode)
		}
	})
}

// The control API is the same in every dialect: roles in the counts are
// the contract's, whatever the paths.
func TestDialectCountsNameTheContractRoles(t *testing.T) {
	forEachDialect(t, fakebackend.Config{}, func(t *testing.T, d *wireBackend) {
		p := d.loginAlice()
		d.mustRefresh(p.refresh)
		d.me(p.access)
		counts, err := d.ctl.Counts(bg)
		if err != nil {
			t.Fatal(err)
		}
		if counts[control.RouteLogin][control.OutcomeOK] != 1 || counts[control.RouteRefresh][control.OutcomeOK] != 1 ||
			counts[control.RouteMe][control.OutcomeOK] != 1 || len(counts) != 3 {
			t.Errorf("counts %v", counts)
		}
	})
}

// A backend that declares a reuse leeway forgives reuse inside it: the fake
// backend's grace window starts at it.
func TestReuseLeewayIsTheGraceWindow(t *testing.T) {
	m := oauth2Server
	m.ReuseLeeway = dialect.Duration(30 * time.Second)
	d := startWire(t, fakebackend.Config{Mapping: m})
	s, err := d.ctl.Settings(bg)
	if err != nil || s.GraceWindow.Std() != 30*time.Second {
		t.Fatalf("grace window %v (%v), want the 30s leeway", s.GraceWindow, err)
	}
	first := d.loginAlice()
	second := d.mustRefresh(first.refresh)
	if again := d.mustRefresh(first.refresh); again != second {
		t.Errorf("inside the leeway: %+v, want %+v", again, second)
	}
	explicit := startWire(t, fakebackend.Config{Mapping: m, GraceWindow: time.Second})
	if s, _ := explicit.ctl.Settings(bg); s.GraceWindow.Std() != time.Second {
		t.Errorf("Config.GraceWindow %s did not win over the leeway", s.GraceWindow.Std())
	}
}
