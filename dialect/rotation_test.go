package dialect_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

func TestRotationPresets(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want dialect.RotationRules
	}{
		{"contract", dialect.ContractRules(0)},
		{"auth0", dialect.RotationRules{Preset: "auth0", PreviousOnly: true, RevokeFamily: true, GraceAnswer: "new"}},
		{"auth0,grace_period=20s", dialect.RotationRules{Preset: "auth0", GracePeriod: dialect.Grace(20 * time.Second), PreviousOnly: true, RevokeFamily: true, GraceAnswer: "new"}},
		{"okta", dialect.RotationRules{Preset: "okta", GracePeriod: dialect.Grace(30 * time.Second), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"}},
		{`{"preset":"okta","grace_period":"10s"}`, dialect.RotationRules{Preset: "okta", GracePeriod: dialect.Grace(10 * time.Second), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"}},
		{"keycloak", dialect.RotationRules{Preset: "keycloak", GracePeriod: dialect.Unlimited, GraceAnswer: "new"}},
		{"keycloak,revoke_refresh_token=true", dialect.RotationRules{Preset: "keycloak", PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"}},
		{"keycloak,revoke_refresh_token=true,max_reuse=2", dialect.RotationRules{Preset: "keycloak", GracePeriod: dialect.Unlimited, ReuseCount: 2, PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"}},
		{"hydra", dialect.RotationRules{Preset: "hydra", RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"}},
		{"hydra,grace_period=1h,reuse_count=3", dialect.RotationRules{Preset: "hydra", GracePeriod: dialect.Grace(time.Hour), ReuseCount: 3, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "new"}},
		{"cognito", dialect.RotationRules{Preset: "cognito", PreviousOnly: true, GraceAnswer: "new"}},
		{"grace_period=5s,grace_answer=same", dialect.RotationRules{GracePeriod: dialect.Grace(5 * time.Second), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: "same"}},
	} {
		r, err := dialect.ParseRotation(tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		got, err := r.Rules()
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}

func TestRotationErrorsNameTheKey(t *testing.T) {
	for spec, key := range map[string]string{
		"ping":                            "rotation.preset",
		"okta,grace_period=61s":           "rotation.grace_period",
		"cognito,grace_period=2m":         "rotation.grace_period",
		"hydra,grace_period=6m":           "rotation.grace_period",
		"okta,grace_period=unlimited":     "rotation.grace_period",
		"auth0,grace_period=-1s":          "rotation.grace_period",
		"auth0,reuse_count=-1":            "rotation.reuse_count",
		"auth0,grace_answer=other":        "rotation.grace_answer",
		"okta,max_reuse=1":                "rotation.max_reuse",
		"auth0,revoke_refresh_token=true": "rotation.revoke_refresh_token",
		"keycloak,max_reuse=2":            "rotation.max_reuse",
		"cognito,revoke_access=true":      "rotation.revoke_access",
		"okta,previous_only=maybe":        "rotation.previous_only",
	} {
		_, err := dialect.ParseRotation(spec)
		var ke *dialect.KeyError
		if !errors.As(err, &ke) || ke.Key != key {
			t.Errorf("%s: got %v, want an error naming %s", spec, err, key)
		}
	}
}

func TestRotationInAMapping(t *testing.T) {
	m, err := dialect.ParseJSON([]byte(`{"rotation":"okta"}`))
	if err != nil || m.Rules().Preset != "okta" {
		t.Fatalf("%+v %v", m.Rotation, err)
	}
	m, err = dialect.ParseJSON([]byte(`{"rotation":{"preset":"hydra","grace_period":"30s","reuse_count":1}}`))
	if err != nil || m.Rules().ReuseCount != 1 {
		t.Fatalf("%+v %v", m.Rotation, err)
	}
	if _, err := dialect.ParseJSON([]byte(`{"rotation":{"preset":"okta","grace":"30s"}}`)); err == nil || !strings.Contains(err.Error(), "grace") {
		t.Errorf("an unknown rotation key: %v", err)
	}
	_, err = dialect.ParseJSON([]byte(`{"reuse_leeway":"3s","rotation":"auth0"}`))
	var ke *dialect.KeyError
	if !errors.As(err, &ke) || ke.Key != "reuse_leeway" || ke.Related != "rotation" {
		t.Errorf("reuse_leeway beside a rotation: %v", err)
	}
	// No rotation: the contract's, with reuse_leeway as the grace period.
	m, err = dialect.ParseJSON([]byte(`{"reuse_leeway":"3s"}`))
	if err != nil || m.Rules() != dialect.ContractRules(3*time.Second) {
		t.Fatalf("%+v %v", m.Rules(), err)
	}
}

func TestRotationRulesString(t *testing.T) {
	r, _ := dialect.PresetRules("okta")
	if s := r.String(); !strings.HasPrefix(s, "okta (grace period 30s") || !strings.Contains(s, "revokes the family and its access tokens") {
		t.Error(s)
	}
}

// A mapping with a rotation survives being written as JSON and read again,
// as the fake backend's container gets it (--mapping-json).
func TestRotationRoundTrip(t *testing.T) {
	for _, spec := range []string{"okta,grace_period=10s", "keycloak", "keycloak,revoke_refresh_token=true,max_reuse=2", "grace_period=unlimited,previous_only=false"} {
		r, err := dialect.ParseRotation(spec)
		if err != nil {
			t.Fatal(err)
		}
		m := dialect.Default()
		m.Rotation = r
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := dialect.ParseJSON(raw)
		if err != nil {
			t.Fatalf("%s: %v\n%s", spec, err, raw)
		}
		if back.Rules() != m.Rules() {
			t.Errorf("%s: %+v after the round trip, want %+v", spec, back.Rules(), m.Rules())
		}
	}
}
