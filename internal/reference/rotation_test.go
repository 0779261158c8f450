package reference

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// TestProviderRotationDecidesTheStraggler: the straggler of P7.3 and P4.3,
// a request with the cookie from before the rotation that reaches another
// instance (no shared store, so it refreshes with the used token), meets
// each provider's rules as the fake backend serves them, and the reference
// ends as the preset implies: forgiven inside Auth0's interval and Okta's
// grace period; outside Okta's, the straggler is logged out and so is the
// rotated session (newest refresh token and access tokens revoked); under
// Auth0's default the family's refresh token dies but the rotated session's
// access token lives on; under Keycloak's defaults an old token keeps
// working an hour later; under Cognito the straggler alone is refused.
func TestProviderRotationDecidesTheStraggler(t *testing.T) {
	for _, tc := range []struct {
		rotation      string
		wait          time.Duration // after the first refresh
		straggler     int           // what the straggler gets
		outcome       control.Outcome
		rotated       int // the rotated session's next request
		rotatedExpiry int // the rotated session after its access token expires
	}{
		{"auth0,grace_period=10s", 5 * time.Second, http.StatusOK, control.OutcomeGrace, http.StatusOK, http.StatusOK},
		{"auth0", 0, http.StatusUnauthorized, control.OutcomeReuse, http.StatusOK, http.StatusUnauthorized},
		{"okta", 20 * time.Second, http.StatusOK, control.OutcomeGrace, http.StatusOK, http.StatusOK},
		{"okta", 31 * time.Second, http.StatusUnauthorized, control.OutcomeReuse, http.StatusUnauthorized, http.StatusUnauthorized},
		{"keycloak", time.Hour, http.StatusOK, control.OutcomeGrace, http.StatusOK, http.StatusOK},
		{"hydra", 0, http.StatusUnauthorized, control.OutcomeReuse, http.StatusUnauthorized, http.StatusUnauthorized},
		{"cognito", 0, http.StatusUnauthorized, control.OutcomeReuse, http.StatusOK, http.StatusOK},
	} {
		t.Run(tc.rotation+" after "+tc.wait.String(), func(t *testing.T) {
			r, err := dialect.ParseRotation(tc.rotation)
			if err != nil {
				t.Fatal(err)
			}
			m := dialect.Default()
			m.Rotation = r
			be, ctl := startBackend(t, fakebackend.Config{Mapping: m})
			a, b := startProxy(t, be.URL), startProxy(t, be.URL)
			old := a.login()
			expireAccess(t, ctl)
			first := a.get("/api/me", old)
			if first.Status != http.StatusOK || first.SessionCookie() == nil {
				t.Fatalf("the first refresh: %d", first.Status)
			}
			rotated := first.SessionCookie()
			ctx, cancel := context.WithTimeout(context.Background(), requestDeadline)
			defer cancel()
			if tc.wait > 0 {
				if _, err := ctl.AdvanceClock(ctx, tc.wait); err != nil {
					t.Fatal(err)
				}
			}
			since := lastSeq(t, ctl)
			late := b.get("/api/me", old)
			es := byRoute(journal(t, ctl, since), control.RouteRefresh)
			if late.Status != tc.straggler || len(es) != 1 || es[0].Outcome != tc.outcome {
				t.Fatalf("the straggler got %d (want %d); the backend saw:\n%s", late.Status, tc.straggler, dumpJournal(t, es))
			}
			got := a.get("/api/me", rotated)
			if got.Status != tc.rotated {
				t.Errorf("the rotated session got %d, want %d", got.Status, tc.rotated)
			}
			if c := got.SessionCookie(); c != nil {
				rotated = c // refreshed again (its access token had expired)
			}
			if tc.rotated != http.StatusOK {
				return
			}
			expireAccess(t, ctl)
			if got = a.get("/api/me", rotated); got.Status != tc.rotatedExpiry {
				t.Errorf("the rotated session after its access token expired got %d, want %d", got.Status, tc.rotatedExpiry)
			}
		})
	}
}
