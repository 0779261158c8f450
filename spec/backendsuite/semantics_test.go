package backendsuite

import (
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

func preset(t *testing.T, spec string) dialect.RotationRules {
	t.Helper()
	r, err := dialect.ParseRotation(spec)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := r.Rules()
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// The matcher names the presets a measurement fits, each with its knobs,
// and compares a declared rotation with what was measured.
func TestRotationMatching(t *testing.T) {
	okta := &rotationMeasured{graceLo: 29 * time.Second, graceHi: 30 * time.Second, acceptedAtOnce: true, reuses: maxReuseProbe, reusesCapped: true,
		previousOnly: ptr(true), answer: dialect.GraceNew, revokeFamily: ptr(true), revokeAccess: ptr(true)}
	if got := strings.Join(okta.matchingPresets(), "; "); got != "Okta (refresh token rotation, grace period 30s)" {
		t.Errorf("okta's semantics match %q", got)
	}
	if d := okta.differences(preset(t, "okta")); len(d) != 0 {
		t.Errorf("okta against okta: %v", d)
	}
	if d := okta.differences(preset(t, "okta,grace_period=10s")); len(d) != 1 || !strings.Contains(d[0], "want 10s") {
		t.Errorf("okta against okta with 10s: %v", d)
	}
	if d := okta.differences(preset(t, "auth0,grace_period=30s")); len(d) != 1 || !strings.Contains(d[0], "access tokens") {
		t.Errorf("okta against auth0: %v", d)
	}

	// Refused at once, the family and its access tokens revoked (fosite).
	fosite := &rotationMeasured{graceHi: time.Nanosecond, revokeFamily: ptr(true), revokeAccess: ptr(true)}
	got := strings.Join(fosite.matchingPresets(), "; ")
	for _, want := range []string{"contract", "Okta", "Keycloak (Revoke Refresh Token on, Refresh Token Max Reuse 0)", "Ory Hydra (refresh_token_rotation grace_period 0s, grace_reuse_count 0)"} {
		if !strings.Contains(got, want) {
			t.Errorf("fosite's semantics %q do not name %s", got, want)
		}
	}
	if strings.Contains(got, "Auth0") || strings.Contains(got, "Cognito") {
		t.Errorf("fosite's semantics match %q", got)
	}

	// Nothing fits: a grace period longer than Okta's, Cognito's and
	// Hydra's limits that revokes nothing, with the same pair.
	odd := &rotationMeasured{graceLo: 2 * time.Hour, graceHi: 2*time.Hour + time.Second, acceptedAtOnce: true, reuses: 1,
		previousOnly: ptr(false), answer: dialect.GraceSame, revokeFamily: ptr(false), revokeAccess: ptr(false)}
	if got := odd.matchingPresets(); len(got) != 0 {
		t.Errorf("odd semantics match %v", got)
	}

	// A measurement the rate limit stopped compares only what it measured.
	stopped := &rotationMeasured{acceptedAtOnce: true, answer: dialect.GraceNew, reuses: 2, stopped: "429"}
	if d := stopped.differences(preset(t, "hydra,grace_period=1m,reuse_count=3")); len(d) != 0 {
		t.Errorf("a stopped measurement against hydra: %v", d)
	}
	if d := stopped.differences(preset(t, "auth0")); len(d) != 1 || !strings.Contains(d[0], "want none") {
		t.Errorf("a reuse accepted at once against auth0's 0 s: %v", d)
	}
}
