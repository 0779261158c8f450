package backendsuite

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// B2.14: the server's rotation semantics, measured, and the identity
// providers whose semantics they match. docs/providers.md has the presets.

// maxReuseProbe is how many reuses of one used token B2.14 tries before it
// calls the count unlimited.
const maxReuseProbe = 5

// The grace periods B2.14 probes. With a fake backend's clock it probes
// clockProbes and then narrows the bracket to a second; on a backend whose
// clock it cannot move it waits real time, waitProbes only, up to
// maxGraceWait when the profile declares a grace period that short.
var (
	clockProbes = []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
		5 * time.Minute, time.Hour, 24 * time.Hour}
	waitProbes = []time.Duration{time.Second, 5 * time.Second}
)

// maxGraceWait is the longest B2.14 waits for a grace period to pass on a
// backend whose clock it cannot move, and only when the profile's
// backend.rotation declares a grace period no longer than it: past Okta's
// 30 s default, not near Auth0's minutes.
const maxGraceWait = 35 * time.Second

// rotationMeasured is what B2.14 found. Fields it could not measure are nil.
type rotationMeasured struct {
	// The grace period is in [graceLo, graceHi); graceHi 0 is "no bound
	// found" (unlimited when the longest clock probe was accepted).
	graceLo, graceHi time.Duration
	unlimited        bool
	// acceptedAtOnce: the used token was accepted right after its use, so
	// there is a grace period, however short.
	acceptedAtOnce bool
	// reuses is how many reuses of one used token were allowed; reusesCapped
	// says the probe stopped at maxReuseProbe without a refusal.
	reuses       int
	reusesCapped bool
	previousOnly *bool
	answer       string // same or new; "" unknown
	revokeFamily *bool
	revokeAccess *bool
	// stopped says why the measurement ended early (a 429).
	stopped string
}

func ptr[T any](v T) *T { return &v }

// B2.14
func (c *client) measureRotationSemantics() {
	// The last spec also records what the whole run cost the backend.
	defer func() {
		harness.Measured("the backend suite sent %d request(s) to the backend under test in this run", c.suite.sent.Load())
	}()
	var m rotationMeasured
	c.measureFirstReuse(&m)
	if m.graceHi != 0 || m.stopped != "" {
		c.reportRotation(&m)
		return
	}
	c.measureReuseCount(&m)
	if m.stopped == "" {
		c.measurePreviousOnly(&m)
	}
	if m.stopped == "" {
		c.measureGraceLength(&m)
	}
	c.reportRotation(&m)
}

// stop records a 429 and reports whether a reached the rate limit.
func (c *client) stop(m *rotationMeasured, a *answer) bool {
	if a.Status == http.StatusTooManyRequests {
		m.stopped = "the backend's rate limit (429) ended the measurement early: " + a.Method + " " + a.Path
		return true
	}
	return false
}

// freshUsed logs in, refreshes once and returns the login's (now used)
// tokens and the successor; ok is false when the rate limit stopped it.
func (c *client) freshUsed(m *rotationMeasured) (t0, t1 dialect.Tokens, ok bool) {
	t0 = c.mustLogin()
	t1, ok = c.rotateOnce(m, t0.Refresh, "refresh with the login's refresh token")
	return t0, t1, ok
}

// rotateOnce presents a refresh token that should work; ok is false when
// the rate limit answered instead.
func (c *client) rotateOnce(m *rotationMeasured, refresh, what string) (dialect.Tokens, bool) {
	a := c.mustAnswer(c.refresh(refresh, what))
	if c.stop(m, a) {
		return dialect.Tokens{}, false
	}
	ExpectWithOffset(1, a.Status).To(Equal(http.StatusOK), "%s: want 200; %s", what, a)
	t, err := c.tokens(a)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "%s: 200 without the tokens", what)
	return t, true
}

// measureFirstReuse presents the used token again at once; a refusal means
// no grace, and what the refusal did to the family is measured there.
func (c *client) measureFirstReuse(m *rotationMeasured) {
	t0, t1, ok := c.freshUsed(m)
	if !ok {
		return
	}
	a := c.mustAnswer(c.refresh(t0.Refresh, "the used refresh token again, at once"))
	if c.stop(m, a) {
		return
	}
	Expect(a.Status).To(BeNumerically("<", 500), "reuse of a used refresh token gave a server error; %s", a)
	switch {
	case rejected(a):
		m.graceHi = time.Nanosecond // refused at once: no grace
		c.measureRevocation(m, t1)
	case a.Status == http.StatusOK:
		again, err := c.tokens(a)
		Expect(err).NotTo(HaveOccurred(), "the reuse answered 200")
		m.acceptedAtOnce = true
		m.answer = dialect.GraceNew
		if again.Refresh == t1.Refresh {
			m.answer = dialect.GraceSame
		}
		m.reuses = 1
	default:
		Fail(fmt.Sprintf("reuse of a used refresh token: want 200, 401 or 400; %s", a))
	}
}

// measureRevocation says what a refused reuse did to the family: whether
// its newest refresh token and access token still work.
func (c *client) measureRevocation(m *rotationMeasured, newest dialect.Tokens) {
	r := c.mustAnswer(c.refresh(newest.Refresh, "the family's newest refresh token after the refused reuse"))
	if c.stop(m, r) {
		return
	}
	m.revokeFamily = ptr(rejected(r))
	if !rejected(r) {
		m.revokeAccess = ptr(false)
		return
	}
	me := c.mustAnswer(c.me(newest.Access, "the family's newest access token after the refused reuse"))
	m.revokeAccess = ptr(me.Status == http.StatusUnauthorized)
}

// measureReuseCount presents the same used token again until it is refused
// or maxReuseProbe reuses were allowed.
func (c *client) measureReuseCount(m *rotationMeasured) {
	c.nextRateWindow()
	t0, t1, ok := c.freshUsed(m)
	if !ok {
		return
	}
	newest := t1
	for m.reuses = 0; m.reuses < maxReuseProbe; m.reuses++ {
		a := c.mustAnswer(c.refresh(t0.Refresh, fmt.Sprintf("reuse %d of the used refresh token", m.reuses+1)))
		if c.stop(m, a) {
			return
		}
		if rejected(a) {
			c.measureRevocation(m, newest)
			return
		}
		Expect(a.Status).To(Equal(http.StatusOK), "reuse %d of the used refresh token: want 200, 401 or 400; %s", m.reuses+1, a)
		if tk, err := c.tokens(a); err == nil {
			newest = tk
		}
	}
	m.reusesCapped = true
}

// measurePreviousOnly rotates twice and presents the token two rotations
// old: forgiven, or refused as only the previous one is reusable.
func (c *client) measurePreviousOnly(m *rotationMeasured) {
	c.nextRateWindow()
	t0, t1, ok := c.freshUsed(m)
	if !ok {
		return
	}
	t2, ok := c.rotateOnce(m, t1.Refresh, "second refresh")
	if !ok {
		return
	}
	a := c.mustAnswer(c.refresh(t0.Refresh, "the refresh token used two rotations ago"))
	if c.stop(m, a) {
		return
	}
	m.previousOnly = ptr(rejected(a))
	if rejected(a) && m.revokeFamily == nil {
		c.measureRevocation(m, t2)
	}
}

// measureGraceLength finds how long a used token stays usable: probing
// fresh families at growing ages, then (with a clock) narrowing the bracket.
func (c *client) measureGraceLength(m *rotationMeasured) {
	probe := func(d time.Duration) (accepted, ok bool) {
		c.nextRateWindow()
		t0, t1, fresh := c.freshUsed(m)
		if !fresh {
			return false, false
		}
		c.letPass(d)
		a := c.mustAnswer(c.refresh(t0.Refresh, fmt.Sprintf("the used refresh token %s after its use", d)))
		if c.stop(m, a) {
			return false, false
		}
		if rejected(a) {
			if m.revokeFamily == nil {
				c.measureRevocation(m, t1)
			}
			return false, true
		}
		return a.Status == http.StatusOK, true
	}
	probes := waitProbes
	if c.control != nil {
		probes = clockProbes
	} else if r := c.mapping().Rotation; r != nil {
		if g := c.mapping().Rules().GracePeriod; g != dialect.Unlimited && g.Std()+time.Second <= maxGraceWait {
			if g.Std()-time.Second > probes[len(probes)-1] {
				probes = append(probes, g.Std()-time.Second)
			}
			if g.Std()+time.Second > probes[len(probes)-1] {
				probes = append(probes, g.Std()+time.Second)
			}
		}
	}
	for _, d := range probes {
		accepted, ok := probe(d)
		if !ok {
			return
		}
		if !accepted {
			m.graceHi = d
			break
		}
		m.graceLo = d
	}
	if m.graceHi == 0 {
		m.unlimited = c.control != nil
		return
	}
	for c.control != nil && m.graceHi-m.graceLo > time.Second {
		mid := (m.graceLo + m.graceHi) / 2
		mid = mid.Truncate(time.Second)
		if mid <= m.graceLo {
			mid = m.graceLo + time.Second
		}
		accepted, ok := probe(mid)
		if !ok {
			return
		}
		if accepted {
			m.graceLo = mid
		} else {
			m.graceHi = mid
		}
	}
}

// letPass lets d pass on the backend: its clock moved, or real time.
func (c *client) letPass(d time.Duration) {
	if c.control != nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		_, err := c.control.AdvanceClock(ctx, d)
		Expect(err).NotTo(HaveOccurred(), "moving the fake backend's clock %s", d)
		return
	}
	fmt.Fprintf(GinkgoWriter, "waiting %s for the used refresh token to age\n", d)
	time.Sleep(d)
}

// nextRateWindow moves a fake backend's clock past its rate-limit window,
// so the many refreshes of B2.14 are not counted together; the families
// each step uses are fresh, so nothing else changes.
func (c *client) nextRateWindow() {
	if c.control == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	set, err := c.control.Settings(ctx)
	Expect(err).NotTo(HaveOccurred(), "reading the fake backend's settings")
	if set.RateLimit.Enabled {
		_, err = c.control.AdvanceClock(ctx, set.RateLimit.Window.Std()+time.Second)
		Expect(err).NotTo(HaveOccurred(), "moving the fake backend's clock past its rate-limit window")
	}
}

// grace says the grace period measured.
func (m *rotationMeasured) grace() string {
	switch {
	case m.graceHi == time.Nanosecond:
		return "none (refused at once)"
	case m.unlimited:
		return fmt.Sprintf("unlimited (still usable %s after its use)", m.graceLo)
	case m.graceHi == 0 && m.graceLo == 0 && m.acceptedAtOnce:
		return "more than 0s (usable at once; not measured further)"
	case m.graceHi == 0 && m.graceLo == 0:
		return "not measured"
	case m.graceHi == 0:
		return fmt.Sprintf("at least %s", m.graceLo)
	case m.graceHi-m.graceLo <= time.Second:
		return fmt.Sprintf("%s (usable at %s, refused at %s)", m.graceHi, m.graceLo, m.graceHi)
	case m.graceLo == 0:
		return fmt.Sprintf("under %s", m.graceHi)
	}
	return fmt.Sprintf("between %s and %s", m.graceLo, m.graceHi)
}

func yesNo(b *bool, yes, no string) string {
	switch {
	case b == nil:
		return "not measured"
	case *b:
		return yes
	}
	return no
}

// String is the measurement in a line.
func (m *rotationMeasured) String() string {
	var parts []string
	parts = append(parts, "grace period "+m.grace())
	if m.graceHi != time.Nanosecond {
		switch {
		case m.reusesCapped:
			parts = append(parts, fmt.Sprintf("reuses unlimited (%d allowed, none refused)", m.reuses))
		default:
			parts = append(parts, fmt.Sprintf("%d reuse(s) allowed", m.reuses))
		}
		parts = append(parts, "reusable: "+yesNo(m.previousOnly, "only the previous token", "any used token"))
		if m.answer != "" {
			parts = append(parts, map[string]string{dialect.GraceSame: "a reuse gets the same successor pair", dialect.GraceNew: "a reuse gets a new pair"}[m.answer])
		}
	}
	parts = append(parts, "a refused reuse revokes the family: "+yesNo(m.revokeFamily, "yes", "no"))
	if m.revokeFamily != nil && *m.revokeFamily {
		parts = append(parts, "and its access tokens: "+yesNo(m.revokeAccess, "yes", "no (they live until they expire)"))
	}
	if m.revokeFamily == nil && m.unlimited && m.reusesCapped {
		parts[len(parts)-1] = "no reuse was ever refused"
	}
	return strings.Join(parts, "; ")
}

// fits reports how rules differ from what was measured (nothing: they fit).
// Knobs lists the rules' keys that a provider lets its user set, which fit
// any measured value in the provider's range.
func (m *rotationMeasured) differences(r dialect.RotationRules, knobs ...string) []string {
	var diffs []string
	knob := func(k string) bool { return slices.Contains(knobs, k) }
	g := r.GracePeriod
	noGrace := m.graceHi == time.Nanosecond
	measuredGrace := noGrace || m.unlimited || m.graceLo > 0 || m.graceHi > 0
	switch {
	case !measuredGrace && !m.acceptedAtOnce:
		// Nothing measured (the rate limit stopped it): nothing to compare.
	case !measuredGrace:
		if g == 0 && !knob("grace_period") {
			diffs = append(diffs, fmt.Sprintf("grace period %s, want none", m.grace()))
		}
	case knob("grace_period"):
		bound, bounded := dialect.MaxGrace(r.Preset, r.ReuseCount)
		if bounded && (m.unlimited || (m.graceLo > bound)) {
			diffs = append(diffs, fmt.Sprintf("grace period %s, longer than %s allows (%s)", m.grace(), r.Preset, bound))
		}
	case noGrace && g != 0:
		diffs = append(diffs, fmt.Sprintf("grace period %s, want %s", m.grace(), g))
	case !noGrace && g == 0:
		diffs = append(diffs, fmt.Sprintf("grace period %s, want none", m.grace()))
	case g == dialect.Unlimited && m.graceHi != 0:
		diffs = append(diffs, fmt.Sprintf("grace period %s, want unlimited", m.grace()))
	case g != dialect.Unlimited && !noGrace && (m.graceLo >= g.Std() || m.unlimited || (m.graceHi != 0 && m.graceHi < g.Std())):
		diffs = append(diffs, fmt.Sprintf("grace period %s, want %s", m.grace(), g))
	}
	if !noGrace && !knob("reuse_count") {
		switch {
		case r.ReuseCount == 0 && !m.reusesCapped && m.stopped == "":
			diffs = append(diffs, fmt.Sprintf("%d reuse(s) allowed, want no limit within the grace period", m.reuses))
		case r.ReuseCount > 0 && m.stopped == "" && (m.reusesCapped || m.reuses != r.ReuseCount):
			diffs = append(diffs, fmt.Sprintf("%d reuse(s) allowed (probed up to %d), want %d", m.reuses, maxReuseProbe, r.ReuseCount))
		}
	}
	if !noGrace && m.previousOnly != nil && *m.previousOnly != r.PreviousOnly {
		diffs = append(diffs, fmt.Sprintf("only the previous token reusable: %v, want %v", *m.previousOnly, r.PreviousOnly))
	}
	if !noGrace && m.answer != "" && m.answer != r.GraceAnswer {
		diffs = append(diffs, fmt.Sprintf("a reuse inside the grace gets the %s pair, want the %s", m.answer, r.GraceAnswer))
	}
	if m.revokeFamily != nil && *m.revokeFamily != r.RevokeFamily {
		diffs = append(diffs, fmt.Sprintf("a refused reuse revokes the family: %v, want %v", *m.revokeFamily, r.RevokeFamily))
	}
	if m.revokeFamily != nil && *m.revokeFamily && m.revokeAccess != nil && *m.revokeAccess != r.RevokeAccess {
		diffs = append(diffs, fmt.Sprintf("the revocation kills the access tokens: %v, want %v", *m.revokeAccess, r.RevokeAccess))
	}
	return diffs
}

// matchingPresets names the presets whose semantics fit the measurement,
// each with the knob values it would take.
func (m *rotationMeasured) matchingPresets() []string {
	var out []string
	for _, name := range dialect.PresetNames {
		base, _ := dialect.PresetRules(name)
		cands := []dialect.RotationRules{base}
		knobs := []string{"grace_period"}
		switch name {
		case dialect.PresetKeycloak:
			// Revoke Refresh Token off, or on with a max reuse.
			on := dialect.RotationRules{Preset: name, PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: dialect.GraceNew}
			onN := on
			onN.GracePeriod, onN.ReuseCount = dialect.Unlimited, max(m.reuses, 1)
			cands = []dialect.RotationRules{base, on, onN}
			knobs = nil
		case dialect.PresetHydra:
			knobs = append(knobs, "reuse_count")
			if !m.reusesCapped {
				base.ReuseCount = m.reuses
				cands = []dialect.RotationRules{base}
			}
		}
		for i, r := range cands {
			if len(m.differences(r, knobs...)) > 0 {
				continue
			}
			out = append(out, presetSetting(name, i, m))
			break
		}
	}
	return out
}

// presetSetting names a matching preset with its settings, in its
// provider's words.
func presetSetting(name string, variant int, m *rotationMeasured) string {
	g := m.grace()
	switch {
	case m.graceHi == time.Nanosecond:
		g = "0s"
	case m.graceHi != 0 && m.graceHi-m.graceLo <= time.Second:
		g = m.graceHi.String()
	}
	switch name {
	case dialect.PresetContract:
		return "refreshspec's contract (grace window " + g + ")"
	case dialect.PresetAuth0:
		return "Auth0 (Refresh Token Rotation, reuse interval " + g + ")"
	case dialect.PresetOkta:
		return "Okta (refresh token rotation, grace period " + g + ")"
	case dialect.PresetKeycloak:
		switch variant {
		case 0:
			return "Keycloak (Revoke Refresh Token off)"
		case 1:
			return "Keycloak (Revoke Refresh Token on, Refresh Token Max Reuse 0)"
		}
		return fmt.Sprintf("Keycloak (Revoke Refresh Token on, Refresh Token Max Reuse %d)", m.reuses)
	case dialect.PresetHydra:
		count := "grace_reuse_count 0"
		if !m.reusesCapped && m.graceHi != time.Nanosecond {
			count = fmt.Sprintf("grace_reuse_count %d", m.reuses)
		}
		return "Ory Hydra (refresh_token_rotation grace_period " + g + ", " + count + ")"
	case dialect.PresetCognito:
		return "Cognito (RetryGracePeriodSeconds " + g + ")"
	}
	return name
}

// reportRotation records the measurement and the presets it matches, and
// with a declared rotation (backend.rotation) fails on a mismatch.
func (c *client) reportRotation(m *rotationMeasured) {
	harness.Measured("rotation semantics measured: %s", m)
	if m.stopped != "" {
		harness.Measured("%s", m.stopped)
	}
	matches := m.matchingPresets()
	if len(matches) == 0 {
		harness.Measured("matches none of the presets (%s)", strings.Join(dialect.PresetNames, ", "))
	} else {
		harness.Measured("matches %s", strings.Join(matches, "; "))
	}
	if c.mapping().Rotation == nil {
		return
	}
	want := c.mapping().Rules()
	diffs := m.differences(want)
	Expect(diffs).To(BeEmpty(), "the profile's backend.rotation declares %s, and the backend differs: %s",
		want, strings.Join(diffs, "; "))
}
