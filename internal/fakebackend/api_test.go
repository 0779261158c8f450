package fakebackend_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func TestLoginReturnsTheEnvelopeOfTheContract(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	a := b.login(aliceEmail, alicePassword)
	expectStatus(t, a, 200, "")
	if got := a.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	access, refresh := a.str("data.authorization.access_token"), a.str("data.authorization.refresh_token")
	if access == "" || refresh == "" || access == refresh {
		t.Fatalf("tokens %q %q: want two different non-empty tokens", access, refresh)
	}
	if len(access) != 43 || strings.ContainsAny(access, "+/=") {
		t.Errorf("access token %q is not 32 bytes of base64url", access)
	}
	if a.get("data.authorization.token_type") != "Bearer" || a.get("data.authorization.expires_in") != float64(900) {
		t.Errorf("token_type/expires_in: %s", a.raw)
	}
	for path, want := range map[string]string{"data.user.id": "u-1", "data.user.email": aliceEmail, "data.user.firstName": "Alice", "data.user.lastName": "Liddell"} {
		if got := a.str(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if a.get("data.user.password") != nil {
		t.Error("the user's password is in the answer")
	}
	e := b.last()
	expectEntry(t, e, control.RouteLogin, 200, control.OutcomeOK)
	if len(e.Issued) != 2 || e.Issued[0].Value != access || e.Issued[1].Value != refresh ||
		e.Issued[0].Family != "f-1" || e.Issued[1].Generation != 0 || e.Issued[1].UserID != "u-1" {
		t.Errorf("journal issued = %+v", e.Issued)
	}
	if !strings.Contains(e.Body, aliceEmail) || e.Remote == "" || e.Method != "POST" || e.Path != "/auth/login" {
		t.Errorf("journal entry = %+v", e)
	}
}

func TestLoginIsCaseInsensitiveOnEmailOnly(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	expectStatus(t, b.login("Alice@Example.com", alicePassword), 200, "")
	expectStatus(t, b.login(aliceEmail, "Correct horse"), 401, "invalid_credentials")
}

func TestLoginRejectsBadCredentials(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	for _, c := range [][2]string{{aliceEmail, "wrong"}, {"bob@example.com", alicePassword}, {"", ""}} {
		a := b.login(c[0], c[1])
		expectStatus(t, a, 401, "invalid_credentials")
		if a.header.Get("Cache-Control") == "" && a.get("data") != nil {
			t.Errorf("a failed login carries data: %s", a.raw)
		}
		expectEntry(t, b.last(), control.RouteLogin, 401, control.OutcomeInvalidCredentials)
	}
}

func TestConfiguredUsersReplaceAlice(t *testing.T) {
	b := startBackend(t, fakebackend.Config{Users: []fakebackend.User{
		{ID: "u-9", Email: "bob@example.com", Password: "pw", FirstName: "Bob", LastName: "Builder"},
	}})
	expectStatus(t, b.login(aliceEmail, alicePassword), 401, "invalid_credentials")
	a := b.login("bob@example.com", "pw")
	expectStatus(t, a, 200, "")
	if a.str("data.user.firstName") != "Bob" || a.str("data.user.id") != "u-9" {
		t.Errorf("user = %s", a.raw)
	}
}

// Every malformed body of every route with a body is a 400, never a 5xx.
func TestMalformedBodiesAre400(t *testing.T) {
	b := startBackend(t, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false}})
	access := b.loginAlice().access
	bodies := map[string]string{
		"empty":          "",
		"not JSON":       "email=a&password=b",
		"truncated":      `{"email":"a`,
		"array":          `[]`,
		"null":           `null`,
		"string":         `"x"`,
		"number":         `42`,
		"two objects":    `{} {}`,
		"wrong types":    `{"email":1,"password":true,"refresh_token":7,"firstName":3}`,
		"null fields":    `{"email":null,"password":null,"refresh_token":null,"firstName":null}`,
		"nested":         `{"email":{"a":1},"password":["x"],"refresh_token":{},"lastName":[]}`,
		"invalid UTF-8":  "{\"email\":\"\xff\xfe\"",
		"missing fields": `{}`,
	}
	routes := []struct {
		method, path string
		code         string
	}{
		{"POST", "/auth/login", "invalid_request"},
		{"POST", "/auth/refresh", "invalid_request"},
		{"POST", "/auth/logout", "invalid_request"},
		{"PATCH", "/api/user/profile", "invalid_request"},
	}
	for _, r := range routes {
		for name, body := range bodies {
			if r.path == "/api/user/profile" && name == "missing fields" {
				continue // an empty object changes nothing, and is fine
			}
			t.Run(r.path+"/"+name, func(t *testing.T) {
				var a answer
				if body == "" {
					a = b.do(r.method, r.path, "", "Authorization", "Bearer "+access)
				} else {
					a = b.do(r.method, r.path, body, "Authorization", "Bearer "+access)
				}
				expectStatus(t, a, 400, r.code)
				if e := b.last(); e.Outcome != control.OutcomeInvalidRequest || e.Status != 400 {
					t.Errorf("journal: %+v", e)
				}
			})
		}
	}
}

func TestEmptyRefreshTokenIs400(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	expectStatus(t, b.do("POST", "/auth/refresh", `{"refresh_token":""}`), 400, "invalid_request")
}

func TestUnknownRoutesAre404AndWrongMethods405(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	for _, path := range []string{"/", "/nope", "/auth", "/auth/login/", "/auth//login", "/api/user/me/x", "/auth/../auth/login"} {
		a := b.do("GET", path, "")
		expectStatus(t, a, 404, "not_found")
		expectEntry(t, b.last(), control.RouteOther, 404, control.OutcomeNotFound)
	}
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/auth/login", "POST"}, {"PUT", "/auth/refresh", "POST"}, {"DELETE", "/auth/logout", "POST"},
		{"POST", "/api/user/me", "GET"}, {"GET", "/api/user/profile", "PATCH"}, {"POST", "/api/user/profile", "PATCH"},
	} {
		a := b.do(c.method, c.path, "")
		expectStatus(t, a, 405, "method_not_allowed")
		if a.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: Allow = %q, want %q", c.method, c.path, a.header.Get("Allow"), c.allow)
		}
		expectEntry(t, b.last(), control.RouteOther, 405, control.OutcomeMethodNotAllowed)
	}
}

func TestBodiesOver1MiBAre413(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	big := `{"refresh_token":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, path := range []string{"/auth/login", "/auth/refresh", "/auth/logout"} {
		a := b.do("POST", path, big)
		expectStatus(t, a, 413, "too_large")
		e := b.last()
		if e.Outcome != control.OutcomeTooLarge || len(e.Body) != 64<<10 {
			t.Errorf("journal: outcome %s, body of %d bytes (want 64 KiB)", e.Outcome, len(e.Body))
		}
	}
	// Exactly 1 MiB is still read and judged.
	exact := `{"refresh_token":"` + strings.Repeat("x", 1<<20-20) + `"}`
	expectStatus(t, b.do("POST", "/auth/refresh", exact), 401, "invalid_grant")
}

func TestRefreshRotatesAndInvalidatesThePresentedToken(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	first := b.loginAlice()
	a := b.refresh(first.refresh)
	expectStatus(t, a, 200, "")
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
	}
	if a.get("data.user") != nil || a.get("data.authorization.token_type") != "Bearer" || a.get("data.authorization.expires_in") != float64(900) {
		t.Errorf("refresh envelope: %s", a.raw)
	}
	second := pair{a.str("data.authorization.access_token"), a.str("data.authorization.refresh_token")}
	if second.access == "" || second.refresh == "" || second.access == first.access || second.refresh == first.refresh {
		t.Fatalf("refresh did not rotate: %+v -> %+v", first, second)
	}
	e := b.last()
	expectEntry(t, e, control.RouteRefresh, 200, control.OutcomeOK)
	if e.Token != first.refresh || e.TokenKind != control.Refresh || e.Family != "f-1" || e.Generation != 0 {
		t.Errorf("journal presented: %+v", e)
	}
	if len(e.Issued) != 2 || e.Issued[0].Value != second.access || e.Issued[1].Value != second.refresh || e.Issued[1].Generation != 1 {
		t.Errorf("journal issued: %+v", e.Issued)
	}
	expectStatus(t, b.me(second.access), 200, "")
	// The access token of before keeps working until it expires.
	expectStatus(t, b.me(first.access), 200, "")
	third := b.mustRefresh(second.refresh)
	if third.refresh == second.refresh {
		t.Error("the second refresh did not rotate")
	}
	if e := b.last(); e.Generation != 1 || e.Issued[0].Generation != 2 {
		t.Errorf("generations: presented %d, issued %d", e.Generation, e.Issued[0].Generation)
	}
}

func TestReuseRevokesTheWholeFamily(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	first := b.loginAlice()
	other := b.loginAlice() // another family, which must not suffer
	second := b.mustRefresh(first.refresh)
	third := b.mustRefresh(second.refresh)

	a := b.refresh(first.refresh)
	expectStatus(t, a, 401, "invalid_grant")
	e := b.last()
	expectEntry(t, e, control.RouteRefresh, 401, control.OutcomeReuse)
	if e.Family != "f-1" || e.Generation != 0 {
		t.Errorf("journal: %+v", e)
	}
	expectStatus(t, b.refresh(third.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeInvalidGrant)
	for _, access := range []string{first.access, second.access, third.access} {
		a := b.me(access)
		expectStatus(t, a, 401, "invalid_token")
		if a.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
			t.Errorf("WWW-Authenticate = %q", a.header.Get("WWW-Authenticate"))
		}
	}
	expectStatus(t, b.me(other.access), 200, "")
	b.mustRefresh(other.refresh)
	tokens, err := b.ctl.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.Family == "f-1" && tok.State != control.StateRevoked {
			t.Errorf("token of the revoked family is %s", tok.State)
		}
	}
}

func TestGraceWindowGivesThePreviousTokenTheSameSuccessor(t *testing.T) {
	b := startBackend(t, fakebackend.Config{GraceWindow: 10 * time.Second})
	first := b.loginAlice()
	second := b.mustRefresh(first.refresh)
	again := b.refresh(first.refresh)
	expectStatus(t, again, 200, "")
	if got := (pair{again.str("data.authorization.access_token"), again.str("data.authorization.refresh_token")}); got != second {
		t.Fatalf("grace answer %+v, want the same successor %+v", got, second)
	}
	if again.header.Get("Cache-Control") != "no-store" {
		t.Error("a grace answer without Cache-Control: no-store")
	}
	e := b.last()
	expectEntry(t, e, control.RouteRefresh, 200, control.OutcomeGrace)
	if len(e.Issued) != 0 {
		t.Errorf("a grace answer issued tokens: %+v", e.Issued)
	}
	expectStatus(t, b.me(second.access), 200, "")

	// Outside the window it is reuse.
	b.advance(11 * time.Second)
	expectStatus(t, b.refresh(first.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)
	expectStatus(t, b.me(second.access), 401, "invalid_token")
}

func TestGraceWindowForgivesOnlyTheImmediatelyPreviousToken(t *testing.T) {
	b := startBackend(t, fakebackend.Config{GraceWindow: time.Minute})
	first := b.loginAlice()
	second := b.mustRefresh(first.refresh)
	b.mustRefresh(second.refresh)
	expectStatus(t, b.refresh(first.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)
}

func TestNoGraceWindowByDefault(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	first := b.loginAlice()
	b.mustRefresh(first.refresh)
	expectStatus(t, b.refresh(first.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)
}

func TestTokensExpireOnTheFakeClock(t *testing.T) {
	b := startBackend(t, fakebackend.Config{AccessTTL: time.Minute, RefreshTTL: time.Hour})
	p := b.loginAlice()
	if a := b.login(aliceEmail, alicePassword); a.get("data.authorization.expires_in") != float64(60) {
		t.Errorf("expires_in = %v, want 60", a.get("data.authorization.expires_in"))
	}
	b.advance(59 * time.Second)
	expectStatus(t, b.me(p.access), 200, "")
	b.advance(time.Second)
	a := b.me(p.access)
	expectStatus(t, a, 401, "invalid_token")
	if a.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("WWW-Authenticate = %q", a.header.Get("WWW-Authenticate"))
	}
	expectEntry(t, b.last(), control.RouteMe, 401, control.OutcomeInvalidToken)
	if e := b.last(); e.Token != p.access || e.TokenKind != control.Access || e.Family != "f-1" {
		t.Errorf("journal presented: %+v", e)
	}
	// The refresh token still works, and yields a working access token.
	fresh := b.mustRefresh(p.refresh)
	expectStatus(t, b.me(fresh.access), 200, "")
	b.advance(time.Hour)
	expectStatus(t, b.refresh(fresh.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeInvalidGrant)
}

func TestUnknownTokensAreRejected(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	for _, tok := range []string{"garbage", strings.Repeat("A", 43), "' OR 1=1 --", "\u00e9\u0000"} {
		expectStatus(t, b.refresh(tok), 401, "invalid_grant")
		expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeInvalidGrant)
	}
	// An access token is not a refresh token, nor the other way round.
	expectStatus(t, b.refresh(p.access), 401, "invalid_grant")
	expectStatus(t, b.me(p.refresh), 401, "invalid_token")
	// No Bearer token at all (another scheme, or "Bearer" alone) is RFC 6750
	// §3.1's request without authentication: the bare challenge, no error code.
	for _, h := range []string{"Basic " + p.access, "Bearer", "Bearer "} {
		a := b.do("GET", "/api/user/me", "", "Authorization", h)
		expectStatus(t, a, 401, "missing_token")
		if got := a.header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("Authorization %q: WWW-Authenticate = %q, want Bearer with no error", h, got)
		}
	}
}

func TestMeWithoutATokenGetsABareChallenge(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	a := b.me("")
	expectStatus(t, a, 401, "")
	if got := a.header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want Bearer with no error", got)
	}
	expectEntry(t, b.last(), control.RouteMe, 401, control.OutcomeMissingToken)
}

func TestMeReturnsTheUser(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	a := b.me(p.access)
	expectStatus(t, a, 200, "")
	if a.str("data.id") != "u-1" || a.str("data.email") != aliceEmail || a.str("data.firstName") != "Alice" || a.str("data.lastName") != "Liddell" {
		t.Errorf("me = %s", a.raw)
	}
	if a.header.Get("Cache-Control") != "" {
		// Not a token response: nothing asks for no-store, nothing forbids it either.
		t.Logf("me carries Cache-Control %q", a.header.Get("Cache-Control"))
	}
	e := b.last()
	expectEntry(t, e, control.RouteMe, 200, control.OutcomeOK)
	if e.Token != p.access || e.TokenKind != control.Access || e.Family != "f-1" {
		t.Errorf("journal presented: %+v", e)
	}
}

func TestProfileUpdatesNames(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	bearer := []string{"Authorization", "Bearer " + p.access}
	a := b.do("PATCH", "/api/user/profile", `{"firstName":"Alicia","id":"u-2","email":"x@y","password":"p"}`, bearer...)
	expectStatus(t, a, 200, "")
	if a.str("data.firstName") != "Alicia" || a.str("data.lastName") != "Liddell" || a.str("data.id") != "u-1" || a.str("data.email") != aliceEmail {
		t.Errorf("profile = %s", a.raw)
	}
	expectEntry(t, b.last(), control.RouteProfile, 200, control.OutcomeOK)
	a = b.do("PATCH", "/api/user/profile", `{"lastName":"Pleasance"}`, bearer...)
	expectStatus(t, a, 200, "")
	if me := b.me(p.access); me.str("data.firstName") != "Alicia" || me.str("data.lastName") != "Pleasance" {
		t.Errorf("me after the change = %s", me.raw)
	}
	expectStatus(t, b.login(aliceEmail, alicePassword), 200, "") // the password did not change
	a = b.do("PATCH", "/api/user/profile", `{"firstName":"X"}`)
	expectStatus(t, a, 401, "")
	if a.header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("WWW-Authenticate = %q", a.header.Get("WWW-Authenticate"))
	}
	a = b.do("PATCH", "/api/user/profile", `{"firstName":"X"}`, "Authorization", "Bearer nope")
	expectStatus(t, a, 401, "invalid_token")
	expectEntry(t, b.last(), control.RouteProfile, 401, control.OutcomeInvalidToken)
	// A reset brings the seeded names back.
	if err := b.ctl.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := b.login(aliceEmail, alicePassword); a.str("data.user.firstName") != "Alice" {
		t.Errorf("after reset: %s", a.raw)
	}
}

func TestLogoutRevokesTheFamilyAndIsIdempotent(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	other := b.loginAlice()
	next := b.mustRefresh(p.refresh)
	a := b.do("POST", "/auth/logout", jsonBody(map[string]string{"refresh_token": next.refresh}))
	expectStatus(t, a, 200, "")
	e := b.last()
	expectEntry(t, e, control.RouteLogout, 200, control.OutcomeOK)
	if e.Token != next.refresh || e.Family != "f-1" || e.Generation != 1 {
		t.Errorf("journal: %+v", e)
	}
	expectStatus(t, b.refresh(next.refresh), 401, "invalid_grant")
	expectStatus(t, b.me(next.access), 401, "invalid_token")
	expectStatus(t, b.me(p.access), 401, "invalid_token")
	expectStatus(t, b.me(other.access), 200, "")
	for _, tok := range []string{next.refresh, "unknown"} {
		expectStatus(t, b.do("POST", "/auth/logout", jsonBody(map[string]string{"refresh_token": tok})), 200, "")
		expectEntry(t, b.last(), control.RouteLogout, 200, control.OutcomeNotRevoked)
	}
}

// Real backends revoke on logout only for the refresh token they would
// take next; a proxy that sends anything else gets a 200 and a session
// that goes on. The journal tells the two apart.
func TestLogoutWithAnyOtherTokenRevokesNothing(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	next := b.mustRefresh(p.refresh)
	for _, c := range []struct{ what, token string }{
		{"the access token", next.access},
		{"a refresh token already rotated away", p.refresh},
		{"an unknown token", "no-such-token"},
	} {
		expectStatus(t, b.do("POST", "/auth/logout", jsonBody(map[string]string{"refresh_token": c.token})), 200, "")
		expectEntry(t, b.last(), control.RouteLogout, 200, control.OutcomeNotRevoked)
		expectStatus(t, b.me(next.access), 200, "") // after a logout with c.what
	}
	a := b.mustRefresh(next.refresh) // the family lives on
	expectStatus(t, b.do("POST", "/auth/logout", jsonBody(map[string]string{"refresh_token": a.refresh})), 200, "")
	expectEntry(t, b.last(), control.RouteLogout, 200, control.OutcomeOK)
	expectStatus(t, b.me(a.access), 401, "invalid_token")
}

// The journal keeps the headers that say how a body is to be read and
// whom a request speaks for, with credentials only as a fingerprint.
func TestJournalKeepsHeadersWithoutTokens(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	p := b.loginAlice()
	body := `{"lastName":"Headers"}`
	expectStatus(t, b.do("PATCH", "/api/user/profile", body, "Authorization", "Bearer "+p.access, "Accept", "application/json"), 200, "")
	e := b.last()
	want := map[string]string{
		"Content-Type":   "application/json",
		"Content-Length": strconv.Itoa(len(body)),
		"Accept":         "application/json",
		"Authorization":  "Bearer " + control.Fingerprint(p.access),
	}
	if !maps.Equal(e.Headers, want) {
		t.Errorf("journaled headers %v, want %v", e.Headers, want)
	}
	for _, c := range []struct{ sent, journaled string }{
		{p.access, control.Fingerprint(p.access)}, // a token without a scheme
		{"Bearer", "Bearer"},                      // a scheme without credentials
		{"Basic  " + p.refresh, "Basic " + control.Fingerprint(p.refresh)},
	} {
		b.me(p.access) // a request between, so that last() is the next one
		b.do("GET", "/api/user/me", "", "Authorization", c.sent)
		if got := b.last().Headers["Authorization"]; got != c.journaled {
			t.Errorf("Authorization %q journaled as %q, want %q", c.sent, got, c.journaled)
		}
	}
	req, err := http.NewRequest("PATCH", b.run.URL+"/api/user/profile", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.access)
	b.send(req) // chunked (the length is not known ahead), and no Content-Type
	if h := b.last().Headers; h["Transfer-Encoding"] != "chunked" || h["Content-Length"] != "" || h["Content-Type"] != "" {
		t.Errorf("a chunked request without a Content-Type journaled %v", h)
	}
}

func TestRefreshIsRateLimitedPerFamily(t *testing.T) {
	b := startBackend(t, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: true, PerFamily: 3, PerAddress: 100, Window: control.Duration(time.Minute)}})
	tok := b.loginAlice().refresh
	for range 3 {
		tok = b.mustRefresh(tok).refresh
	}
	a := b.refresh(tok)
	expectStatus(t, a, 429, "rate_limited")
	if secs, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After = %q, want 1..60 seconds", a.header.Get("Retry-After"))
	}
	expectEntry(t, b.last(), control.RouteRefresh, 429, control.OutcomeRateLimited)
	// The token was not consumed, another family is not limited, and the
	// limit ends when the window has passed on the fake clock.
	other := b.loginAlice()
	b.mustRefresh(other.refresh)
	b.advance(time.Minute)
	b.mustRefresh(tok)
}

func TestRefreshIsRateLimitedPerAddressEvenForInvalidAttempts(t *testing.T) {
	b := startBackend(t, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: true, PerFamily: 100, PerAddress: 5, Window: control.Duration(time.Minute)}})
	expectStatus(t, b.do("POST", "/auth/refresh", `{`), 400, "invalid_request")
	for range 4 {
		expectStatus(t, b.refresh("garbage"), 401, "invalid_grant")
	}
	a := b.refresh("garbage")
	expectStatus(t, a, 429, "rate_limited")
	if a.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Even a valid token is limited from this address now.
	p := b.loginAlice()
	expectStatus(t, b.refresh(p.refresh), 429, "rate_limited")
	// A reset clears the counters.
	if err := b.ctl.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.mustRefresh(b.loginAlice().refresh)
}

func TestRateLimitCanBeSwitchedOff(t *testing.T) {
	b := startBackend(t, fakebackend.Config{RateLimit: &control.RateLimit{Enabled: false, PerFamily: 1, PerAddress: 1, Window: control.Duration(time.Minute)}})
	for range 20 {
		expectStatus(t, b.refresh("garbage"), 401, "invalid_grant")
	}
}

func TestDefaultRateLimitIsOutOfReachOfNormalUse(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	tok := b.loginAlice().refresh
	for range 10 {
		tok = b.mustRefresh(tok).refresh
	}
	expectStatus(t, b.refresh(tok), 429, "rate_limited")
	s, err := b.ctl.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := fakebackend.DefaultRateLimit(); s.RateLimit != want {
		t.Errorf("rate limit = %+v, want %+v", s.RateLimit, want)
	}
}

// One structured line per refresh attempt, with the outcome and a short
// fingerprint, and never a whole token.
func TestRefreshAttemptsAreLoggedWithAFingerprintOnly(t *testing.T) {
	logs := newLockedBuffer()
	b := startBackend(t, fakebackend.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	p := b.loginAlice()
	next := b.mustRefresh(p.refresh)
	b.refresh(p.refresh)
	b.refresh("garbage")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, `"refresh attempt"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d refresh lines, want 3:\n%s", len(lines), logs.String())
	}
	for i, want := range []string{`"outcome":"ok"`, `"outcome":"reuse"`, `"outcome":"invalid_grant"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d lacks %s: %s", i, want, lines[i])
		}
	}
	if !strings.Contains(lines[0], `"token":"`) || strings.Contains(lines[0], `"token":""`) {
		t.Errorf("no fingerprint: %s", lines[0])
	}
	for _, secret := range []string{p.access, p.refresh, next.access, next.refresh} {
		if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), secret[:16]) {
			t.Fatalf("the log holds a token: %s", logs.String())
		}
	}
}

func TestAnswersAreJSONWithTheRightContentType(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	for _, a := range []answer{b.login("x", "y"), b.refresh("x"), b.me(""), b.do("GET", "/x", ""), b.do("GET", "/auth/login", "")} {
		if ct := a.header.Get("Content-Type"); ct != "application/json" || a.body == nil {
			t.Errorf("Content-Type %q, body %s", ct, a.raw)
		}
	}
}
