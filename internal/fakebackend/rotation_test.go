package fakebackend_test

import (
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// startPreset starts a fake backend whose mapping declares the rotation
// written as the --backend-rotation flag takes it.
func startPreset(t *testing.T, spec string) *backend {
	t.Helper()
	r, err := dialect.ParseRotation(spec)
	if err != nil {
		t.Fatal(err)
	}
	m := dialect.Default()
	m.Rotation = r
	return startBackend(t, fakebackend.Config{Mapping: m})
}

func (b *backend) tokensOf(a answer) pair {
	return pair{a.str("data.authorization.access_token"), a.str("data.authorization.refresh_token")}
}

// Auth0: inside the reuse interval the previous token is forgiven with a
// new pair; a token older than the previous one revokes the family, whose
// access tokens (JWTs at Auth0) live on.
func TestRotationAuth0(t *testing.T) {
	b := startPreset(t, "auth0,grace_period=10s")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	again := b.refresh(t0.refresh)
	expectStatus(t, again, 200, "")
	if got := b.tokensOf(again); got == t1 || got.refresh == t0.refresh {
		t.Fatalf("auth0's reuse interval mints a new pair; got %+v after %+v", got, t1)
	}
	expectEntry(t, b.last(), control.RouteRefresh, 200, control.OutcomeGrace)
	t2 := b.mustRefresh(t1.refresh)
	// t0 is now older than the previous token (t1): reuse at once.
	expectStatus(t, b.refresh(t0.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)
	expectStatus(t, b.refresh(t2.refresh), 401, "invalid_grant")
	expectStatus(t, b.me(t2.access), 200, "")
}

// Auth0's default interval is 0 s: the previous token is reuse at once.
func TestRotationAuth0DefaultHasNoInterval(t *testing.T) {
	b := startPreset(t, "auth0")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	expectStatus(t, b.refresh(t0.refresh), 401, "invalid_grant")
	expectStatus(t, b.refresh(t1.refresh), 401, "invalid_grant")
}

// Okta: 30 s by default; a reuse outside it kills the newest refresh token
// and every access token.
func TestRotationOkta(t *testing.T) {
	b := startPreset(t, "okta")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	b.advance(29 * time.Second)
	expectStatus(t, b.refresh(t0.refresh), 200, "")
	b.advance(2 * time.Second)
	expectStatus(t, b.refresh(t0.refresh), 401, "invalid_grant")
	expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)
	expectStatus(t, b.refresh(t1.refresh), 401, "invalid_grant")
	expectStatus(t, b.me(t1.access), 401, "invalid_token")
}

// Keycloak's defaults: Revoke Refresh Token off, an old token keeps working
// as long as it lives, each use with a new pair, and nothing is revoked.
func TestRotationKeycloakDefault(t *testing.T) {
	b := startPreset(t, "keycloak")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	t2 := b.mustRefresh(t1.refresh)
	b.advance(time.Hour)
	for range 3 {
		expectStatus(t, b.refresh(t0.refresh), 200, "")
	}
	expectStatus(t, b.refresh(t2.refresh), 200, "")
}

// Keycloak with Revoke Refresh Token on and Refresh Token Max Reuse 1: the
// last token once more, then invalid_grant and the session dies; an older
// token is refused at once.
func TestRotationKeycloakMaxReuse(t *testing.T) {
	b := startPreset(t, "keycloak,revoke_refresh_token=true,max_reuse=1")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	expectStatus(t, b.refresh(t0.refresh), 200, "")
	expectStatus(t, b.refresh(t0.refresh), 401, "invalid_grant")
	expectStatus(t, b.refresh(t1.refresh), 401, "invalid_grant")
	expectStatus(t, b.me(t1.access), 401, "invalid_token")
}

// Ory Hydra: each reuse inside the grace period mints a new pair, up to the
// reuse count; any used token of the chain, not only the previous one.
func TestRotationHydra(t *testing.T) {
	b := startPreset(t, "hydra,grace_period=1m,reuse_count=2")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	b.mustRefresh(t1.refresh)
	seen := map[string]bool{}
	for range 2 {
		a := b.refresh(t0.refresh)
		expectStatus(t, a, 200, "")
		p := b.tokensOf(a)
		if seen[p.refresh] {
			t.Fatal("hydra's grace answered the same pair twice")
		}
		seen[p.refresh] = true
	}
	expectStatus(t, b.refresh(t0.refresh), 401, "invalid_grant")
	expectStatus(t, b.refresh(t1.refresh), 401, "invalid_grant")
	expectStatus(t, b.me(t1.access), 401, "invalid_token")
}

// Cognito: after RetryGracePeriodSeconds the original token is refused and
// nothing else happens.
func TestRotationCognito(t *testing.T) {
	b := startPreset(t, "cognito,grace_period=5s")
	t0 := b.loginAlice()
	t1 := b.mustRefresh(t0.refresh)
	expectStatus(t, b.refresh(t0.refresh), 200, "")
	b.advance(5 * time.Second)
	expectStatus(t, b.refresh(t0.refresh), 401, "invalid_grant")
	b.mustRefresh(t1.refresh)
}

// The settings show the rotation in force, and the control API replaces it;
// grace_window is its grace period under its older name.
func TestRotationInSettings(t *testing.T) {
	b := startPreset(t, "okta")
	s := b.patch(control.SettingsPatch{})
	if s.Rotation.Preset != "okta" || s.GraceWindow.Std() != 30*time.Second {
		t.Fatalf("settings %+v", s)
	}
	grace := control.Duration(5 * time.Second)
	s = b.patch(control.SettingsPatch{GraceWindow: &grace})
	if s.Rotation.GracePeriod != dialect.Grace(5*time.Second) || s.Rotation.Preset != "okta" {
		t.Fatalf("grace_window did not set the rotation's grace period: %+v", s.Rotation)
	}
	k, _ := dialect.PresetRules("keycloak")
	s = b.patch(control.SettingsPatch{Rotation: &k})
	if s.Rotation != k || s.GraceWindow != 0 {
		t.Fatalf("rotation patch: %+v", s)
	}
	bad := k
	bad.GraceAnswer = "other"
	if _, err := b.ctl.UpdateSettings(t.Context(), control.SettingsPatch{Rotation: &bad}); err == nil {
		t.Fatal("a rotation with grace_answer other was accepted")
	}
}

// Without a rotation, the mapping's reuse_leeway is the contract's grace
// window, as before.
func TestRotationDefaultIsTheContract(t *testing.T) {
	m := dialect.Default()
	m.ReuseLeeway = dialect.Duration(10 * time.Second)
	b := startBackend(t, fakebackend.Config{Mapping: m})
	s := b.patch(control.SettingsPatch{})
	if s.Rotation != dialect.ContractRules(10*time.Second) || s.GraceWindow.Std() != 10*time.Second {
		t.Fatalf("settings %+v", s)
	}
}
