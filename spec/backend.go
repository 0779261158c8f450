package spec

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/profile"
)

// BackendRequestsEntry is the report entry in which every B spec records how
// many requests it sent to the backend under test (a BackendRequests), so
// users can see what the suite costs a real backend.
const BackendRequestsEntry = "refreshspec-backend-requests"

// BackendRequests is the value of a BackendRequestsEntry.
type BackendRequests struct {
	// Spec is the number of requests the spec sent.
	Spec int `json:"spec"`
	// Run is the number the B specs sent so far in this run.
	Run int64 `json:"run"`
}

// beSuite is the state of one registration of the B specs that outlives a
// spec.
type beSuite struct {
	cfg  *BackendConfig
	sent atomic.Int64
	// rateLimitMet holds a description of the 429 that B2.8 met, once it met one.
	rateLimitMet atomic.Value
	// transport is the B specs' own, so their connections neither come
	// from nor linger in http.DefaultTransport's pool.
	transportOnce sync.Once
	transport     *http.Transport
}

// RegisterBackendSpecs registers the backend specs (group B of
// scenarios.md) in one top-level Describe, in catalogue order. cfg is read
// when the specs run, so a suite may fill it in BeforeSuite. The specs reach
// the backend only over HTTP, through cfg.Profile's dialect, paths, field
// names and credentials; with cfg.Control (a fake backend) the checks that
// need time to pass move its clock, and without it they wait for the
// profile's short_access_ttl or are skipped with the reason.
//
// The specs never reset the backend: a suite that wants a clean fake backend
// per spec resets it in its own BeforeEach.
func RegisterBackendSpecs(cfg *BackendConfig) bool {
	s := &beSuite{cfg: cfg}
	strict := func() bool { return cfg.Strict }
	return Describe("B: the backend suite", Label("B"), func() {
		var c *beClient
		var journalMark int
		BeforeEach(func() {
			c = nil
			c = s.client()
			journalMark = c.journalMark()
		})
		AfterEach(func() {
			if c == nil { // the config was unusable; BeforeEach said why
				return
			}
			AddReportEntry(BackendRequestsEntry, BackendRequests{Spec: c.specSent, Run: s.sent.Load()},
				ReportEntryVisibilityFailureOrVerbose)
			if CurrentSpecReport().Failed() {
				c.dumpJournal(journalMark)
			}
		})

		// beHere gives each spec the line below as its code location: with
		// the shared one of scenario.go, Ginkgo orders the specs by name,
		// which puts B2.10 before B2.2.
		beHere := Offset(1)
		scenario("B1.1", strict, func() { c.checkLoginEnvelope() }, beHere)
		scenario("B1.2", strict, func() { c.checkBadCredentials() }, beHere)
		scenario("B2.1", strict, func() { c.checkRefreshRotates() }, beHere)
		scenario("B2.2", strict, func() { c.checkNewAccessAccepted() }, beHere)
		scenario("B2.3", strict, func() { c.checkUsedRefreshRejected() }, beHere)
		scenario("B2.4", strict, func() { c.checkReuseRevokesFamily() }, beHere)
		scenario("B2.5", strict, func() { c.checkUnknownRefreshToken() }, beHere)
		scenario("B2.6", strict, func() { c.checkMalformedRefresh() }, beHere)
		scenario("B2.7", strict, func() { c.checkNoStore() }, beHere)
		scenario("B2.8", strict, func() { c.checkRateLimit() }, beHere)
		scenario("B2.9", strict, func() { c.checkWWWAuthenticate() }, beHere)
		scenario("B2.10", strict, func() { c.checkLogoutRevokes() }, beHere)
		scenario("B2.11", strict, func() { c.measureImmediateReuse() }, beHere)
		scenario("B2.12", strict, func() { c.measureOldAccessToken() }, beHere)
		scenario("B2.13", strict, func() { c.measureLifetimes() }, beHere)
	})
}

// client builds the client for one spec from the config as it is now.
func (s *beSuite) client() *beClient {
	prof := s.cfg.profile()
	base := s.cfg.URL
	if base == "" {
		base = prof.Backend.URL
	}
	Expect(base).NotTo(BeEmpty(), "BackendConfig.URL (or the profile's backend.url) must name the backend under test")
	timeout := orDefault(s.cfg.RequestTimeout, 10*time.Second)
	return &beClient{
		base:    strings.TrimRight(base, "/"),
		prof:    prof,
		http:    &http.Client{Transport: s.roundTripper(), Timeout: timeout, CheckRedirect: beNoRedirects},
		timeout: timeout,
		control: s.cfg.Control,
		suite:   s,
	}
}

func (s *beSuite) roundTripper() *http.Transport {
	s.transportOnce.Do(func() {
		s.transport = http.DefaultTransport.(*http.Transport).Clone()
	})
	return s.transport
}

// beNoRedirects keeps redirects visible: a backend that redirects an API
// call to a login page is answering wrongly, and following it would hide that.
func beNoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// journalMark returns the fake backend's last journal sequence number, so a
// failure can show what the backend saw during the spec.
func (c *beClient) journalMark() int {
	if c.control == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	entries, err := c.control.Journal(ctx, 0)
	if err != nil || len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// dumpJournal writes what the fake backend journaled since mark, so that a
// failure explains itself from the backend's side too.
func (c *beClient) dumpJournal(mark int) {
	if c.control == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	entries, err := c.control.Journal(ctx, mark)
	if err != nil {
		fmt.Fprintf(GinkgoWriter, "could not read the fake backend's journal: %v\n", err)
		return
	}
	fmt.Fprintf(GinkgoWriter, "the fake backend journaled %d request(s) during this spec:\n", len(entries))
	for _, e := range entries {
		if e.Seq <= mark {
			continue
		}
		fmt.Fprintf(GinkgoWriter, "  #%d %s -> %d %s (token %s, family %q, generation %d)\n",
			e.Seq, e.Route, e.Status, e.Outcome, beFingerprint(e.Token), e.Family, e.Generation)
	}
}

// B1.1
func (c *beClient) checkLoginEnvelope() {
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(a.Status).To(Equal(http.StatusOK), "login with valid credentials: want 200; %s", a)
	Expect(a.isJSON()).To(BeTrue(), "login: want a JSON body with Content-Type application/json; %s", a)
	var problems beProblems
	if !c.passwordGrant() {
		if v, ok := a.lookup("success"); !ok || v != true {
			problems.add("want success:true in the envelope of contract.md §1; %s", a)
		}
	}
	t, err := c.loginTokens(a)
	if err != nil {
		problems.add("%v", err)
	} else if t.Access == t.Refresh {
		problems.add("the access token and the refresh token are the same string %s", beFingerprint(t.Access))
	}
	// The seed's JSON contract documents token_type, expires_in and the user
	// in the login answer: there they must be present. Elsewhere (OAuth2
	// servers, a JSON login in front of them) they are checked when present.
	documented := c.prof.Backend.Dialect == profile.DialectJSON
	tokenType := beSibling(c.prof.Backend.Paths.AccessToken, "token_type")
	if v, ok := a.lookup(tokenType); ok || c.passwordGrant() || documented {
		if s, _ := v.(string); !strings.EqualFold(s, "Bearer") {
			problems.add("want token_type \"Bearer\" at %q, got %v", tokenType, v)
		}
	}
	if v, ok := a.lookup(c.prof.Backend.Paths.ExpiresIn); ok || documented {
		if n, isNum := v.(float64); !isNum || n <= 0 {
			problems.add("want expires_in a positive number of seconds at %q, got %v", c.prof.Backend.Paths.ExpiresIn, v)
		}
	}
	if v, ok := a.lookup(c.prof.Backend.Paths.FirstName); ok || documented {
		if s, _ := v.(string); s == "" {
			problems.add("want the user's first name (a non-empty string) at %q, got %v", c.prof.Backend.Paths.FirstName, v)
		}
	}
	problems.expectNone("B1.1: the login answer is not the documented envelope")
}

// B1.2
func (c *beClient) checkBadCredentials() {
	cred := c.prof.Credentials
	cases := []struct{ what, email, password string }{
		{"login with a wrong password", cred.Email, cred.Password + "-not-the-password"},
		{"login as an unknown user", beRandom("nobody-") + "@example.invalid", cred.Password},
	}
	var problems beProblems
	for _, tc := range cases {
		a := c.mustAnswer(c.login(tc.email, tc.password, tc.what))
		switch {
		case c.passwordGrant():
			// RFC 6749 §5.2: invalid resource owner credentials are an
			// invalid_grant, which servers answer with 400 (some 401).
			if !beRejected(a) {
				problems.add("%s: want 400 or 401 (RFC 6749 §5.2); %s", tc.what, a)
			} else if code, _ := a.str("error"); code != "invalid_grant" {
				problems.add(`%s: want {"error":"invalid_grant"}; %s`, tc.what, a)
			}
		default:
			if a.Status != http.StatusUnauthorized {
				problems.add("%s: want 401; %s", tc.what, a)
			} else if v, ok := a.lookup("success"); !ok || v != false {
				problems.add("%s: want success:false in a JSON body; %s", tc.what, a)
			}
		}
		if _, leaked := a.str(c.prof.Backend.Paths.AccessToken); leaked {
			problems.add("%s: the answer carries an access token", tc.what)
		}
	}
	problems.expectNone("B1.2: bad credentials must be refused")
}

// B2.1
func (c *beClient) checkRefreshRotates() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	var problems beProblems
	if t1.Access == t0.Access {
		problems.add("the refresh returned the same access token as the login %s", beFingerprint(t0.Access))
	}
	if t1.Refresh == t0.Refresh {
		problems.add("the refresh returned the same refresh token it was given %s (no rotation)", beFingerprint(t0.Refresh))
	}
	problems.expectNone("B2.1: a refresh must return a new access token and a new refresh token")
}

// B2.2
func (c *beClient) checkNewAccessAccepted() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	a := c.mustAnswer(c.me(t1.Access, "the protected resource with the refreshed access token"))
	Expect(a.Status).To(Equal(http.StatusOK), "B2.2: the access token the refresh returned must be accepted; %s", a)
}

// B2.3
func (c *beClient) checkUsedRefreshRejected() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	a := c.mustAnswer(c.refresh(t0.Refresh, "the refresh token just used, presented again"))
	if a.Status == http.StatusOK {
		if again, err := c.tokens(a); err == nil && again.Refresh == t1.Refresh && t1.Refresh != t0.Refresh {
			// The same successor again is a reuse grace window (see B2.11),
			// which covers only the immediately previous token: after one
			// more rotation, t0 is an older token and must be refused.
			fmt.Fprintln(GinkgoWriter, "the used refresh token got its successor again (a grace window); rotating once more")
			c.mustRefresh(t1.Refresh, "refresh with the successor")
			a = c.mustAnswer(c.refresh(t0.Refresh, "the refresh token used two rotations ago"))
		}
	}
	Expect(beRejected(a)).To(BeTrue(), "B2.3: a used refresh token must be refused with 401 or 400; %s", a)
}

// B2.4
func (c *beClient) checkReuseRevokesFamily() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "first refresh")
	// Two rotations make t0 older than any reuse grace window covers.
	t2 := c.mustRefresh(t1.Refresh, "second refresh")
	a := c.mustAnswer(c.refresh(t0.Refresh, "reuse of the refresh token used two rotations ago"))
	Expect(beRejected(a)).To(BeTrue(), "B2.4: the reused refresh token must be refused; %s", a)

	var problems beProblems
	m := c.mustAnswer(c.me(t2.Access, "the family's newest access token after the reuse"))
	if m.Status == http.StatusOK {
		problems.add("the family's newest access token is still accepted after the reuse; %s", m)
	}
	r := c.mustAnswer(c.refresh(t2.Refresh, "the family's newest refresh token after the reuse"))
	if !beRejected(r) {
		problems.add("the family's newest refresh token still works after the reuse (want 401 or 400); %s", r)
	}
	problems.expectNone("B2.4: reuse of an old refresh token must revoke its whole family")
}

// B2.5
func (c *beClient) checkUnknownRefreshToken() {
	cases := []struct{ what, token string }{
		{"an unknown token-shaped refresh token", beRandom("")},
		{"a garbage refresh token", "!!! not a token <script>\u00e9\u2603 ' OR 1=1 --"},
		{"a JWT-shaped refresh token no backend signed", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl"},
		{"a 4 KiB refresh token", strings.Repeat(beRandom("x"), 128)},
	}
	var problems beProblems
	for _, tc := range cases {
		a := c.mustAnswer(c.refresh(tc.token, tc.what))
		switch {
		case a.Status >= 500:
			problems.add("%s: a server error; want 401 or 400; %s", tc.what, a)
		case !beRejected(a):
			problems.add("%s: want 401 or 400; %s", tc.what, a)
		default:
			if p := c.errorBodyProblem(a); p != "" {
				problems.add("%s: %s", tc.what, p)
			}
		}
	}
	problems.expectNone("B2.5: an unknown or garbage refresh token must be refused with 401 or 400, never 5xx")
}

// B2.6
func (c *beClient) checkMalformedRefresh() {
	const mib = 1 << 20
	field := c.prof.Backend.Fields.RefreshToken
	type malformed struct {
		what, contentType, body string
		// noClient marks a body that cannot carry the oauth2 client's
		// credentials, which an RFC 6749 server may refuse as
		// invalid_client (401, §5.2) before it looks at the grant.
		noClient bool
	}
	var cases []malformed
	if c.prof.Backend.Refresh.Body == "form" {
		const form = "application/x-www-form-urlencoded"
		client := ""
		for _, f := range c.clientCredentials() {
			client += "&" + f[0] + "=" + url.QueryEscape(f[1])
		}
		grant := ""
		if c.oauth2() {
			grant = "grant_type=refresh_token&"
			cases = append(cases,
				malformed{what: "no grant_type", contentType: form, body: field + "=" + beRandom("") + client},
				malformed{what: "an unsupported grant_type", contentType: form, body: "grant_type=refreshspec_unknown&" + field + "=" + beRandom("") + client},
				malformed{what: "a JSON body instead of a form", contentType: "application/json", body: `{"grant_type":"refresh_token","` + field + `":"x"}`, noClient: true},
			)
		}
		cases = append(cases,
			malformed{what: "no refresh token field", contentType: form, body: grant + "unrelated=1" + client},
			malformed{what: "an empty body", contentType: form, body: "", noClient: true},
			malformed{what: "a body over 1 MiB of broken escapes", contentType: form, body: grant + field + "=" + strings.Repeat("%zz", mib/3+1) + client},
		)
	} else {
		const js = "application/json"
		cases = []malformed{
			{what: "malformed JSON", contentType: js, body: `{"` + field + `":`},
			{what: "no refresh token field", contentType: js, body: `{}`},
			{what: "a number for the refresh token", contentType: js, body: `{"` + field + `":12345}`},
			{what: "an object for the refresh token", contentType: js, body: `{"` + field + `":{"nested":true}}`},
			{what: "an empty body", contentType: js, body: ""},
			{what: "a body over 1 MiB of unterminated JSON", contentType: js, body: `{"` + field + `":"` + strings.Repeat("a", mib)},
		}
	}
	var problems beProblems
	for _, tc := range cases {
		a := c.mustAnswer(c.refreshRaw(tc.contentType, []byte(tc.body), "refresh with "+tc.what))
		if a.Status == http.StatusBadRequest || a.Status == http.StatusRequestEntityTooLarge {
			continue
		}
		if code, _ := a.str("error"); tc.noClient && len(c.clientCredentials()) > 0 &&
			a.Status == http.StatusUnauthorized && code == "invalid_client" {
			continue
		}
		problems.add("%s: want 400 (or 413); %s", tc.what, a)
	}
	problems.expectNone("B2.6: a malformed refresh request must be answered 400 (or 413), never 5xx")
}

// B2.7
func (c *beClient) checkNoStore() {
	cred := c.prof.Credentials
	var problems beProblems
	login := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(login.Status).To(Equal(http.StatusOK), "login: want 200; %s", login)
	if !beHasNoStore(login.Header) {
		problems.add("the login answer has Cache-Control %q", login.Header.Values("Cache-Control"))
	}
	t0, err := c.loginTokens(login)
	Expect(err).NotTo(HaveOccurred(), "login")
	r := c.mustAnswer(c.refresh(t0.Refresh, "refresh with the login's refresh token"))
	Expect(r.Status).To(Equal(http.StatusOK), "refresh: want 200; %s", r)
	if !beHasNoStore(r.Header) {
		problems.add("the refresh answer has Cache-Control %q", r.Header.Values("Cache-Control"))
	}
	problems.expectNone("B2.7: answers that carry tokens must send Cache-Control: no-store")
}

// B2.8
func (c *beClient) checkRateLimit() {
	burst := c.prof.Backend.RateLimitBurst
	if burst <= 0 {
		Skip("B2.8 runs only when asked: set backend.rate_limit_burst in the profile to the number " +
			"of invalid refresh attempts to send; it is off by default because it can lock an account or a client address")
	}
	var hit *beAnswer
	var last *beAnswer
	sent := 0
	for sent < burst && hit == nil {
		sent++
		a, err := c.refresh(beRandom("refreshspec-ratelimit-"), fmt.Sprintf("invalid refresh attempt %d of at most %d", sent, burst))
		Expect(err).NotTo(HaveOccurred())
		last = a
		if a.Status == http.StatusTooManyRequests {
			hit = a
		}
	}
	Expect(hit).NotTo(BeNil(), "B2.8: %d invalid refresh attempts met no 429; the last answer: %s", burst, last)
	retry := hit.Header.Get("Retry-After")
	c.suite.rateLimitMet.Store(fmt.Sprintf("429 after %d invalid attempts, Retry-After %q", sent, retry))
	Measured("B2.8: refresh answered 429 after %d of at most %d invalid attempts, Retry-After %q", sent, burst, retry)
	Expect(retry).NotTo(BeEmpty(), "B2.8: the 429 must say when to try again in Retry-After; %s", hit)
	Expect(beValidRetryAfter(retry)).To(BeTrue(), "B2.8: Retry-After %q is neither seconds nor an HTTP date", retry)
}

// B2.9
func (c *beClient) checkWWWAuthenticate() {
	unknown := c.mustAnswer(c.me(beRandom("refreshspec-unknown-access-"), "the protected resource with an unknown access token"))
	if p := beInvalidTokenProblem(unknown, "an unknown access token"); p != "" {
		Expect(p).To(BeEmpty(), `B2.9: a rejected access token must get 401 with WWW-Authenticate: Bearer error="invalid_token"`)
	}

	t0 := c.mustLogin()
	fresh := c.mustAnswer(c.me(t0.Access, "the protected resource with a fresh access token"))
	Expect(fresh.Status).To(Equal(http.StatusOK), "B2.9: a fresh access token must be accepted before its expiry can be checked; %s", fresh)
	expired := c.meAfterExpiry(t0.Access, "the protected resource with an expired access token")
	if expired == nil {
		Skip("B2.9: the unknown-token part passed; the expired-token part was not run: " + beNoWayToExpire)
	}
	if p := beInvalidTokenProblem(expired, "an expired access token"); p != "" {
		Expect(p).To(BeEmpty(), `B2.9: a rejected access token must get 401 with WWW-Authenticate: Bearer error="invalid_token"`)
	}
}

// B2.10
func (c *beClient) checkLogoutRevokes() {
	t0 := c.mustLogin()
	lo := c.mustAnswer(c.logout(t0.Refresh, "logout with the login's refresh token"))
	Expect(lo.Status/100).To(Equal(2), "B2.10: logout: want 200; %s", lo)
	var problems beProblems
	r := c.mustAnswer(c.refresh(t0.Refresh, "refresh with the logged-out refresh token"))
	if !beRejected(r) {
		problems.add("the logged-out refresh token still works (want 401 or 400); %s", r)
	}
	m := c.mustAnswer(c.me(t0.Access, "the protected resource with the logged-out family's access token"))
	if m.Status == http.StatusOK {
		problems.add("the logged-out family's access token is still accepted; %s", m)
	}
	problems.expectNone("B2.10: logout must revoke the token's family")
}

// B2.11
func (c *beClient) measureImmediateReuse() {
	t0 := c.mustLogin()
	t1 := c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	start := time.Now()
	a := c.mustAnswer(c.refresh(t0.Refresh, "the previous refresh token again, at once"))
	after := time.Since(start)
	Expect(a.Status).To(BeNumerically("<", 500), "B2.11: reuse of the previous refresh token gave a server error; %s", a)
	var outcome string
	switch {
	case a.Status == http.StatusOK:
		again, err := c.tokens(a)
		Expect(err).NotTo(HaveOccurred(), "B2.11: the reuse answered 200")
		if again.Refresh == t1.Refresh {
			outcome = "same successor back (a reuse grace window)"
		} else {
			outcome = "accepted again with a second successor (no reuse detection)"
		}
	case beRejected(a):
		r := c.mustAnswer(c.refresh(t1.Refresh, "the successor after the reuse"))
		if r.Status == http.StatusOK {
			outcome = fmt.Sprintf("refused with %d, the family kept (the successor still works)", a.Status)
		} else {
			outcome = fmt.Sprintf("refused with %d and the family revoked (the successor answered %d)", a.Status, r.Status)
		}
	default:
		outcome = fmt.Sprintf("answered %d", a.Status)
	}
	Measured("B2.11: immediate reuse of the previous refresh token (%d ms after the first refresh): %s",
		after.Milliseconds(), outcome)
	if after > time.Second {
		Measured("B2.11: the reuse came more than 1 s after the first refresh; a grace window shorter than that would not show")
	}
}

// B2.12
func (c *beClient) measureOldAccessToken() {
	t0 := c.mustLogin()
	c.mustRefresh(t0.Refresh, "refresh with the login's refresh token")
	a := c.mustAnswer(c.me(t0.Access, "the protected resource with the access token from before the refresh"))
	switch a.Status {
	case http.StatusOK:
		Measured("B2.12: the old access token is still accepted right after the refresh")
	case http.StatusUnauthorized:
		Measured("B2.12: the old access token is refused as soon as the refresh returned its successor")
		return
	default:
		Expect(a.Status).To(BeElementOf(http.StatusOK, http.StatusUnauthorized),
			"B2.12: the old access token after a refresh: want 200 or 401; %s", a)
	}
	expired := c.meAfterExpiry(t0.Access, "the protected resource with the old access token after its expiry")
	if expired == nil {
		Skip("B2.12: measured that the old access token works right after the refresh; whether it stops at its expiry was not measured: " + beNoWayToExpire)
	}
	if expired.Status == http.StatusOK {
		Measured("B2.12: the old access token is still accepted after its expiry")
	} else {
		Measured("B2.12: the old access token works until its expiry, then is refused with %d", expired.Status)
	}
	Expect(expired.Status).NotTo(Equal(http.StatusOK), "B2.12: an expired access token must not be accepted; %s", expired)
}

// B2.13
func (c *beClient) measureLifetimes() {
	// The last spec also records what the whole run cost the backend.
	defer func() {
		Measured("B: the backend suite sent %d request(s) to the backend under test in this run", c.suite.sent.Load())
	}()
	cred := c.prof.Credentials
	a := c.mustAnswer(c.login(cred.Email, cred.Password, "login with the profile's credentials"))
	Expect(a.Status).To(Equal(http.StatusOK), "login: want 200; %s", a)
	t, err := c.loginTokens(a)
	Expect(err).NotTo(HaveOccurred(), "login")

	const minAccess, maxAccess = 15 * time.Minute, 30 * time.Minute
	const minRefresh, maxRefresh = 7 * 24 * time.Hour, 30 * 24 * time.Hour
	var problems beProblems
	if t.HasExpiresIn {
		life := time.Duration(t.ExpiresIn * float64(time.Second))
		Measured("B2.13: access token expires_in %s (seed's advice: 15 to 30 minutes)", life)
		if life < minAccess || life > maxAccess {
			problems.add("the access token lives %s, outside 15 to 30 minutes", life)
		}
	} else {
		Measured("B2.13: the login answer gives no expires_in at %q", c.prof.Backend.Paths.ExpiresIn)
	}

	refreshLife, source := c.refreshLifetime(a, t)
	if source == "" {
		Measured("B2.13: the backend does not reveal the refresh token's lifetime")
	} else {
		Measured("B2.13: refresh token lifetime %s, from %s (seed's advice: 7 to 30 days)", refreshLife, source)
		if refreshLife < minRefresh || refreshLife > maxRefresh {
			problems.add("the refresh token lives %s, outside 7 to 30 days", refreshLife)
		}
	}
	problems.expectNone("B2.13: token lifetimes differ from the seed's advice")
}

// refreshLifetime finds the refresh token's lifetime where the backend
// reveals it: a fake backend's control API, or a refresh_expires_in beside
// the refresh token in the answer (Keycloak's name, and a common one).
func (c *beClient) refreshLifetime(a *beAnswer, t beTokens) (time.Duration, string) {
	if c.control != nil {
		tok, err := c.familyOf(t.Refresh)
		Expect(err).NotTo(HaveOccurred(), "reading the refresh token's lifetime from the control API")
		return tok.ExpiresAt.Sub(tok.IssuedAt), "the fake backend's control API"
	}
	paths := []string{c.prof.Backend.Paths.RefreshToken, profile.Default().Backend.Paths.RefreshToken}
	for _, p := range paths {
		for _, key := range []string{"refresh_expires_in", "refresh_token_expires_in"} {
			field := beSibling(p, key)
			if v, ok := a.lookup(field); ok {
				if n, isNum := v.(float64); isNum {
					return time.Duration(n * float64(time.Second)), field + " in the login answer"
				}
			}
		}
	}
	return 0, ""
}
