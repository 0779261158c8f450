package backendtest

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/suitetest"
)

// TestBackendSuiteRotationPresets runs B2.14 against the fake backend
// serving each rotation preset (a child run of TestBackendSuite focused on
// B2.14 per row), and asserts what it measured and which preset it named;
// then again with the profile declaring the same rotation, where B2.14 is a
// MUST and must pass, and declaring another one, where it must fail.
func TestBackendSuiteRotationPresets(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: child runs of the backend suite")
	}
	b, skip, err := sharedBackend(context.Background(), suitetest.DialectJSON)
	if skip != "" {
		t.Skip(skip)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rotation string
		measured []string // in the measurement line
		named    string   // in the "matches" line
		notNamed []string
	}{
		{"contract", []string{"grace period none", "revokes the family: yes", "access tokens: yes"}, "refreshspec's contract", []string{"Auth0", "Cognito"}},
		{"auth0", []string{"grace period none", "access tokens: no"}, "Auth0 (Refresh Token Rotation, reuse interval 0s", []string{"Okta", "contract", "Hydra", "Keycloak", "Cognito"}},
		{"auth0,grace_period=10s", []string{"grace period 10s", "only the previous token", "a new pair"}, "Auth0 (Refresh Token Rotation, reuse interval 10s", []string{"Okta", "contract", "Hydra", "Keycloak", "Cognito"}},
		{"okta", []string{"grace period 30s", "only the previous token", "access tokens: yes"}, "Okta (refresh token rotation, grace period 30s", []string{"Auth0", "contract", "Hydra", "Keycloak", "Cognito"}},
		{"keycloak", []string{"grace period unlimited", "any used token", "no reuse was ever refused"}, "Keycloak (Revoke Refresh Token off)", []string{"Auth0", "Okta", "contract", "Hydra", "Cognito"}},
		{"keycloak,revoke_refresh_token=true,max_reuse=2", []string{"grace period unlimited", "2 reuse(s) allowed"}, "Keycloak (Revoke Refresh Token on, Refresh Token Max Reuse 2)", []string{"Auth0", "Okta", "Hydra", "Cognito"}},
		{"hydra,grace_period=1m,reuse_count=2", []string{"grace period 1m0s", "2 reuse(s) allowed", "any used token"}, "Ory Hydra (refresh_token_rotation grace_period 1m0s", []string{"Auth0", "Okta", "Keycloak", "Cognito"}},
		{"cognito,grace_period=5s", []string{"grace period 5s", "revokes the family: no"}, "Cognito (RetryGracePeriodSeconds 5s", []string{"Auth0", "Okta", "Hydra", "Keycloak"}},
	} {
		t.Run(tc.rotation, func(t *testing.T) {
			out := runRotationChild(t, b, tc.rotation, false)
			if out.failed {
				t.Fatalf("B2.14 failed as an INFO measurement:\n%s", out.output)
			}
			if !out.hasVerdictFree {
				t.Errorf("B2.14 recorded a failed verdict: %s", out.verdict)
			}
			for _, want := range tc.measured {
				if !strings.Contains(out.measurement, want) {
					t.Errorf("measured %q, want %q in it", out.measurement, want)
				}
			}
			if !strings.Contains(out.matches, tc.named) {
				t.Errorf("%q does not name %q", out.matches, tc.named)
			}
			for _, not := range tc.notNamed {
				if strings.Contains(out.matches, not) {
					t.Errorf("%q names %s too", out.matches, not)
				}
			}
			t.Logf("%s\n%s", out.measurement, out.matches)
			// Declared as expected: B2.14 is a MUST and passes.
			if declared := runRotationChild(t, b, tc.rotation, true); declared.failed {
				t.Errorf("B2.14 failed with the profile declaring the rotation the backend serves:\n%s", declared.message)
			}
		})
	}
	// Declared but not served: the fake backend serves okta, the profile
	// declares auth0's 10 s interval: B2.14 fails as a MUST.
	t.Run("mismatch", func(t *testing.T) {
		out := runRotationChildEnv(t, b, "okta", envRotation+"=okta", envDeclareRotation+"=1", "REFRESHSPEC_DECLARE_OVERRIDE=auth0,grace_period=10s")
		if !out.failed || !strings.Contains(out.message, "B2.14 (MUST)") || !strings.Contains(out.message, "access tokens") {
			t.Errorf("want B2.14 to fail as a MUST naming the difference, failed %v: %s", out.failed, out.message)
		}
	})
}

// rotationRun is what a child run focused on B2.14 reported.
type rotationRun struct {
	failed         bool
	message        string
	measurement    string
	matches        string
	verdict        string
	hasVerdictFree bool
	output         string
}

func runRotationChild(t *testing.T, b *suitetest.Backend, rotation string, declare bool) rotationRun {
	t.Helper()
	env := []string{envRotation + "=" + rotation}
	if declare {
		env = append(env, envDeclareRotation+"=1")
	}
	return runRotationChildEnv(t, b, rotation, env...)
}

func runRotationChildEnv(t *testing.T, b *suitetest.Backend, rotation string, env ...string) rotationRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	child := suitetest.Child{
		Test: "TestBackendSuite",
		Env: append(append(withoutModeEnv(os.Environ()), envBackendURL+"="+b.URL, envControlURL+"="+b.ControlURL,
			envDialect+"="+suitetest.DialectJSON), env...),
		Args: []string{"-test.timeout=2m", "-ginkgo.no-color", "-ginkgo.focus=B2\\.14"},
	}
	reports, out, err := child.Run(ctx)
	if err != nil {
		t.Fatalf("%s: %v\n%s", rotation, err, tail(out))
	}
	run := rotationRun{output: tail(out), hasVerdictFree: true}
	seen := false
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt || suitetest.ScenarioID(s) != "B2.14" || s.State == types.SpecStateSkipped {
				if s.LeafNodeType != types.NodeTypeIt && s.State.Is(types.SpecStateFailureStates) {
					t.Fatalf("%s: the child failed outside the specs: %s", rotation, s.Failure.Message)
				}
				continue
			}
			seen = true
			run.failed = s.State.Is(types.SpecStateFailureStates)
			run.message = s.Failure.Message
			for _, e := range s.ReportEntries {
				var text string
				switch e.Name {
				case harness.MeasuredEntry:
					_ = json.Unmarshal([]byte(e.Value.AsJSON), &text)
					switch {
					case strings.Contains(text, "rotation semantics measured"):
						run.measurement = text
					case strings.Contains(text, "matches"):
						run.matches = text
					}
				case harness.VerdictEntry:
					run.hasVerdictFree = false
					run.verdict = e.Value.AsJSON
				}
			}
		}
	}
	if !seen {
		t.Fatalf("%s: B2.14 did not run\n%s", rotation, tail(out))
	}
	return run
}
