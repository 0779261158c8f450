package dialect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Rotation is how a backend answers a refresh token presented again after
// it was rotated away, as a profile writes it (backend.rotation): a preset
// named after an identity provider, with the provider's own knobs, and any
// of the generic keys to override it. A profile may write the preset alone
// ("rotation: okta") or an object ("rotation: {preset: okta, grace_period:
// 10s}"). Rules resolves it. A nil *Rotation is the contract's rotation with
// the mapping's reuse_leeway as its grace period (what the fake backend
// always did).
type Rotation struct {
	// Preset names the provider whose defaults the keys below start from:
	// one of PresetNames. Empty is "custom": the contract's defaults.
	Preset string `json:"preset,omitempty"`
	// GracePeriod is how long after its first use a used refresh token may
	// be presented again (Auth0's reuse interval, Okta's grace period, Ory
	// Hydra's grace_period, Cognito's RetryGracePeriodSeconds); "unlimited"
	// is until it expires.
	GracePeriod *Grace `json:"grace_period,omitempty"`
	// ReuseCount is how many reuses of one used token the grace period
	// allows (Ory Hydra's grace_reuse_count); 0 is no limit within it.
	ReuseCount *int `json:"reuse_count,omitempty"`
	// PreviousOnly limits the grace to the token the last rotation
	// consumed: an older one is reuse at once (Auth0).
	PreviousOnly *bool `json:"previous_only,omitempty"`
	// RevokeFamily says whether a reuse outside the grace revokes the
	// family's refresh tokens (its newest one included), or is only refused.
	RevokeFamily *bool `json:"revoke_family,omitempty"`
	// RevokeAccess says whether that revocation kills the family's access
	// tokens too (Okta: every access token since sign-in), or whether they
	// live until they expire (self-contained JWTs).
	RevokeAccess *bool `json:"revoke_access,omitempty"`
	// GraceAnswer is what a reuse inside the grace returns: "same" (the
	// successor pair the first use got) or "new" (a new pair, minted
	// again, as Ory Hydra and Auth0 do).
	GraceAnswer string `json:"grace_answer,omitempty"`
	// RevokeRefreshToken and MaxReuse are Keycloak's realm settings
	// "Revoke Refresh Token" and "Refresh Token Max Reuse", valid with
	// preset keycloak only.
	RevokeRefreshToken *bool `json:"revoke_refresh_token,omitempty"`
	MaxReuse           *int  `json:"max_reuse,omitempty"`
}

// The presets: the rotation semantics of known identity providers
// (docs/providers.md), and the contract's own.
const (
	PresetContract = "contract"
	PresetAuth0    = "auth0"
	PresetOkta     = "okta"
	PresetKeycloak = "keycloak"
	PresetHydra    = "hydra"
	PresetCognito  = "cognito"
)

// PresetNames are the presets a rotation may name, the contract's first.
var PresetNames = []string{PresetContract, PresetAuth0, PresetOkta, PresetKeycloak, PresetHydra, PresetCognito}

// The two answers to a reuse inside the grace.
const (
	GraceSame = "same"
	GraceNew  = "new"
)

// Unlimited is the grace period of a used token that works until it
// expires ("unlimited"; no duration a user writes reaches it).
const Unlimited Grace = math.MinInt64

// Grace is a grace period: a duration ("30s") or "unlimited".
type Grace time.Duration

// UnmarshalJSON reads "30s" or "unlimited".
func (g *Grace) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"30s\", or unlimited, got %s", b)
	}
	if s == "unlimited" {
		*g = Unlimited
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"30s\", or unlimited: %w", err)
	}
	*g = Grace(v)
	return nil
}

// MarshalJSON writes the grace as UnmarshalJSON reads it.
func (g Grace) MarshalJSON() ([]byte, error) { return json.Marshal(g.String()) }

// String is "30s" or "unlimited".
func (g Grace) String() string {
	if g == Unlimited {
		return "unlimited"
	}
	return time.Duration(g).String()
}

// Std is the grace as a time.Duration; Unlimited is the longest one.
func (g Grace) Std() time.Duration {
	if g == Unlimited {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(g)
}

// Covers reports whether a token used age ago is still inside the grace.
func (g Grace) Covers(age time.Duration) bool { return g == Unlimited || age < time.Duration(g) }

// UnmarshalJSON reads a preset's name alone or the object.
func (r *Rotation) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		var name string
		if err := json.Unmarshal(t, &name); err != nil {
			return err
		}
		*r = Rotation{Preset: name}
		return nil
	}
	type plain Rotation
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*r = Rotation(p)
	return nil
}

// RotationRules are resolved rotation semantics: what the fake backend
// serves, and what B2.14 measures and compares.
type RotationRules struct {
	// Preset is the preset the rules came from ("" for custom rules).
	Preset       string `json:"preset,omitempty"`
	GracePeriod  Grace  `json:"grace_period"`
	ReuseCount   int    `json:"reuse_count"`
	PreviousOnly bool   `json:"previous_only"`
	RevokeFamily bool   `json:"revoke_family"`
	RevokeAccess bool   `json:"revoke_access"`
	GraceAnswer  string `json:"grace_answer"`
}

// ContractRules are the contract's rotation (contract.md §1, what the fake
// backend does without a rotation): only the previous token is forgiven,
// inside grace, with the same successor pair; any other reuse revokes the
// family, access tokens included.
func ContractRules(grace time.Duration) RotationRules {
	return RotationRules{Preset: PresetContract, GracePeriod: Grace(grace), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: GraceSame}
}

// PresetRules are the defaults of preset name (docs/providers.md).
func PresetRules(name string) (RotationRules, bool) {
	switch name {
	case PresetContract, "":
		r := ContractRules(0)
		r.Preset = name
		return r, true
	case PresetAuth0:
		// Refresh Token Rotation, reuse interval 0 s: only the previous
		// token, a new pair inside the interval; an older one revokes the
		// family (its access tokens are JWTs and live on).
		return RotationRules{Preset: name, PreviousOnly: true, RevokeFamily: true, GraceAnswer: GraceNew}, true
	case PresetOkta:
		// Refresh token rotation, grace period 30 s (0 to 60 s); reuse
		// outside it invalidates the newest refresh token and every access
		// token since sign-in.
		return RotationRules{Preset: name, GracePeriod: Grace(30 * time.Second), PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: GraceNew}, true
	case PresetKeycloak:
		// Revoke Refresh Token off (the default): an old refresh token keeps
		// working until it expires, and each use gets a new pair.
		return RotationRules{Preset: name, GracePeriod: Unlimited, GraceAnswer: GraceNew}, true
	case PresetHydra:
		// oauth2.refresh_token_rotation.grace_period 0 s, grace_reuse_count
		// 0: each reuse inside the period mints a new pair; after it the
		// chain is revoked, access tokens included.
		return RotationRules{Preset: name, RevokeFamily: true, RevokeAccess: true, GraceAnswer: GraceNew}, true
	case PresetCognito:
		// RefreshTokenRotation with RetryGracePeriodSeconds 0 (0 to 60):
		// the original token works inside the period; after it it is
		// refused, nothing more.
		return RotationRules{Preset: name, PreviousOnly: true, GraceAnswer: GraceNew}, true
	}
	return RotationRules{}, false
}

// MaxGrace is the longest grace period preset's provider accepts (Ory
// Hydra's depends on whether a reuse count is set), and false when it
// sets no bound.
func MaxGrace(preset string, reuseCount int) (time.Duration, bool) {
	return graceBound(preset, RotationRules{ReuseCount: reuseCount})
}

// graceBound is the longest grace period a preset's provider accepts.
func graceBound(preset string, r RotationRules) (time.Duration, bool) {
	switch preset {
	case PresetOkta, PresetCognito:
		return 60 * time.Second, true
	case PresetHydra:
		if r.ReuseCount > 0 {
			return 30 * 24 * time.Hour, true
		}
		return 5 * time.Minute, true
	}
	return 0, false
}

// Rules resolves the rotation a mapping declares: its backend.rotation,
// or the contract's with reuse_leeway as the grace period.
func (m *Mapping) Rules() RotationRules {
	if m.Rotation == nil {
		return ContractRules(m.ReuseLeeway.Std())
	}
	r, _ := m.Rotation.Rules()
	return r
}

// Rules resolves r: its preset's defaults, then its own keys. The error
// names the key at fault, as a *KeyError under "rotation".
func (r *Rotation) Rules() (RotationRules, error) {
	name := strings.ToLower(r.Preset)
	out, ok := PresetRules(name)
	if !ok {
		return RotationRules{}, keyErr("rotation.preset", "%q is not one of %s", r.Preset, strings.Join(PresetNames, ", "))
	}
	if r.RevokeRefreshToken != nil || r.MaxReuse != nil {
		key := "rotation.revoke_refresh_token"
		if r.RevokeRefreshToken == nil {
			key = "rotation.max_reuse"
		}
		if name != PresetKeycloak {
			return RotationRules{}, keyErr(key, "is Keycloak's realm setting: it needs preset: keycloak")
		}
		if r.MaxReuse != nil && *r.MaxReuse < 0 {
			return RotationRules{}, keyErr("rotation.max_reuse", "%d is negative", *r.MaxReuse)
		}
		if r.MaxReuse != nil && *r.MaxReuse > 0 && (r.RevokeRefreshToken == nil || !*r.RevokeRefreshToken) {
			return RotationRules{}, clash("rotation.max_reuse", "rotation.revoke_refresh_token", "counts reuses only with Revoke Refresh Token on")
		}
		if r.RevokeRefreshToken != nil && *r.RevokeRefreshToken {
			// Revoke Refresh Token on: the last token may be used
			// max_reuse more times, then invalid_grant and the session dies.
			n := 0
			if r.MaxReuse != nil {
				n = *r.MaxReuse
			}
			out = RotationRules{Preset: name, PreviousOnly: true, RevokeFamily: true, RevokeAccess: true, GraceAnswer: GraceNew}
			if n > 0 {
				out.GracePeriod, out.ReuseCount = Unlimited, n
			}
		}
	}
	if r.GracePeriod != nil {
		if *r.GracePeriod < 0 && *r.GracePeriod != Unlimited {
			return RotationRules{}, keyErr("rotation.grace_period", "%s is negative", time.Duration(*r.GracePeriod))
		}
		out.GracePeriod = *r.GracePeriod
	}
	if r.ReuseCount != nil {
		if *r.ReuseCount < 0 {
			return RotationRules{}, keyErr("rotation.reuse_count", "%d is negative (0 is no limit within the grace period)", *r.ReuseCount)
		}
		out.ReuseCount = *r.ReuseCount
	}
	setBool(&out.PreviousOnly, r.PreviousOnly)
	setBool(&out.RevokeFamily, r.RevokeFamily)
	setBool(&out.RevokeAccess, r.RevokeAccess)
	if r.GraceAnswer != "" {
		a := strings.ToLower(r.GraceAnswer)
		if a != GraceSame && a != GraceNew {
			return RotationRules{}, keyErr("rotation.grace_answer", "%q is not one of same, new", r.GraceAnswer)
		}
		out.GraceAnswer = a
	}
	if bound, ok := graceBound(name, out); ok && r.GracePeriod != nil && (out.GracePeriod == Unlimited || out.GracePeriod.Std() > bound) {
		return RotationRules{}, keyErr("rotation.grace_period", "%s is longer than %s allows (%s)", out.GracePeriod, name, bound)
	}
	if out.RevokeAccess && !out.RevokeFamily {
		return RotationRules{}, clash("rotation.revoke_access", "rotation.revoke_family", "access tokens die with the family, and the family is not revoked")
	}
	out.Preset = name
	return out, nil
}

// ParseRotation reads a rotation as the --backend-rotation flags take it:
// a preset's name, optionally followed by comma-separated key=value
// overrides ("okta,grace_period=10s"), or a JSON object.
func ParseRotation(s string) (*Rotation, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "{") {
		var r Rotation
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return nil, fmt.Errorf("rotation: %w", err)
		}
		if _, err := r.Rules(); err != nil {
			return nil, err
		}
		return &r, nil
	}
	parts := strings.Split(s, ",")
	obj := map[string]any{}
	if !strings.Contains(parts[0], "=") {
		obj["preset"] = strings.TrimSpace(parts[0])
		parts = parts[1:]
	}
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return nil, fmt.Errorf("rotation: %q is not key=value", p)
		}
		switch k {
		case "reuse_count", "max_reuse":
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
				return nil, keyErr("rotation."+k, "%q is not a whole number", v)
			}
			obj[k] = n
		case "previous_only", "revoke_family", "revoke_access", "revoke_refresh_token":
			if v != "true" && v != "false" {
				return nil, keyErr("rotation."+k, "%q is not true or false", v)
			}
			obj[k] = v == "true"
		default:
			obj[k] = v
		}
	}
	raw, _ := json.Marshal(obj)
	var r Rotation
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("rotation: %w", err)
	}
	if _, err := r.Rules(); err != nil {
		return nil, err
	}
	return &r, nil
}

// String says the rules in a line, for messages: "okta: grace period 30s,
// only the previous token, ...".
func (r RotationRules) String() string {
	name := r.Preset
	if name == "" {
		name = "custom"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (grace period %s", name, r.GracePeriod)
	if r.GracePeriod != 0 {
		if r.ReuseCount > 0 {
			fmt.Fprintf(&b, ", %d reuse(s)", r.ReuseCount)
		} else {
			b.WriteString(", reuses unlimited within it")
		}
		if r.PreviousOnly {
			b.WriteString(", only the previous token")
		} else {
			b.WriteString(", any used token")
		}
		fmt.Fprintf(&b, ", answering %s pair", map[string]string{GraceSame: "the same", GraceNew: "a new"}[r.GraceAnswer])
	}
	switch {
	case r.RevokeFamily && r.RevokeAccess:
		b.WriteString("; reuse outside it revokes the family and its access tokens")
	case r.RevokeFamily:
		b.WriteString("; reuse outside it revokes the family's refresh tokens, access tokens live on")
	default:
		b.WriteString("; reuse outside it is refused, nothing revoked")
	}
	b.WriteString(")")
	return b.String()
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}
