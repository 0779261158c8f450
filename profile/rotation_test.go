package profile

import (
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

func TestBackendRotation(t *testing.T) {
	for raw, want := range map[string]dialect.RotationRules{
		"backend:\n  rotation: okta\n":                                                                    {Preset: "okta", GracePeriod: dialect.Grace(30 * time.Second), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"},
		"backend:\n  rotation: {preset: okta, grace_period: 10s}\n":                                       {Preset: "okta", GracePeriod: dialect.Grace(10 * time.Second), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"},
		"backend:\n  rotation:\n    preset: keycloak\n    revoke_refresh_token: true\n    max_reuse: 1\n": {Preset: "keycloak", GracePeriod: dialect.Unlimited, ReuseCount: 1, PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"},
		"backend:\n  reuse_leeway: 2s\n":                                                                  dialect.ContractRules(2 * time.Second),
	} {
		p, err := Parse([]byte(raw))
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if got := p.Backend.Rules(); got != want {
			t.Errorf("%q: %+v, want %+v", raw, got, want)
		}
	}
	for raw, want := range map[string]string{
		"backend:\n  rotation: pingfederate\n":                         "backend.rotation.preset: ",
		"backend:\n  rotation: {preset: okta, grace_period: 2m}\n":     "backend.rotation.grace_period: ",
		"backend:\n  rotation: {preset: auth0, max_reuse: 1}\n":        "backend.rotation.max_reuse: ",
		"backend:\n  rotation: {preset: okta, grace: 1s}\n":            "grace",
		"backend:\n  reuse_leeway: 1s\n  rotation: auth0\n":            "backend.reuse_leeway: ",
		"backend:\n  rotation: {preset: hydra, grace_answer: maybe}\n": "backend.rotation.grace_answer: ",
	} {
		if _, err := Parse([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", raw, err, want)
		}
	}
}
