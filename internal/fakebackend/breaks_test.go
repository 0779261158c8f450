package fakebackend_test

import (
	"testing"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// breakChecks shows each defect doing what its comment in control says; a
// new fakebackend.Break without a check here fails TestEveryBreakIsChecked.
var breakChecks = map[fakebackend.Break]func(t *testing.T, b *backend){
	fakebackend.BreakNoRotation: func(t *testing.T, b *backend) {
		p := b.loginAlice()
		next := b.mustRefresh(p.refresh)
		if next.refresh != p.refresh || next.access == p.access {
			t.Errorf("refresh %+v -> %+v: want the same refresh token, a new access token", p, next)
		}
		b.mustRefresh(p.refresh)
	},
	fakebackend.BreakNoInvalidation: func(t *testing.T, b *backend) {
		p := b.loginAlice()
		next := b.mustRefresh(p.refresh)
		if next.refresh == p.refresh {
			t.Error("did not rotate")
		}
		b.mustRefresh(p.refresh) // the presented token keeps working
		expectEntry(t, b.last(), control.RouteRefresh, 200, control.OutcomeOK)
	},
	fakebackend.BreakNoFamilyRevocation: func(t *testing.T, b *backend) {
		p := b.loginAlice()
		next := b.mustRefresh(p.refresh)
		expectStatus(t, b.refresh(p.refresh), 401, "invalid_grant")
		expectEntry(t, b.last(), control.RouteRefresh, 401, control.OutcomeReuse)
		expectStatus(t, b.me(next.access), 200, "")
		b.mustRefresh(next.refresh)
	},
	fakebackend.BreakMalformedJSON500: func(t *testing.T, b *backend) {
		for _, path := range []string{"/auth/login", "/auth/refresh", "/auth/logout"} {
			if a := b.do("POST", path, "{"); a.status != 500 {
				t.Errorf("%s: %d, want 500", path, a.status)
			}
		}
		if a := b.refresh("unknown"); a.status != 401 {
			t.Errorf("a well-formed refresh: %d", a.status)
		}
	},
	fakebackend.BreakNoCacheControl: func(t *testing.T, b *backend) {
		a := b.login(aliceEmail, alicePassword)
		r := b.refresh(a.str("data.authorization.refresh_token"))
		if a.header.Get("Cache-Control") != "" || r.header.Get("Cache-Control") != "" || r.status != 200 {
			t.Errorf("Cache-Control %q and %q", a.header.Get("Cache-Control"), r.header.Get("Cache-Control"))
		}
	},
	fakebackend.BreakNoWWWAuthenticate: func(t *testing.T, b *backend) {
		a := b.me("garbage")
		expectStatus(t, a, 401, "invalid_token")
		if a.header.Get("WWW-Authenticate") != "" {
			t.Errorf("WWW-Authenticate = %q", a.header.Get("WWW-Authenticate"))
		}
	},
	fakebackend.BreakNoRateLimit: func(t *testing.T, b *backend) {
		b.patch(control.SettingsPatch{RateLimit: &control.RateLimit{Enabled: true, PerFamily: 1, PerAddress: 1, Window: control.Duration(3600e9)}})
		for range 5 {
			expectStatus(t, b.refresh("garbage"), 401, "invalid_grant")
		}
	},
	fakebackend.BreakWrongEnvelope: func(t *testing.T, b *backend) {
		a := b.login(aliceEmail, alicePassword)
		expectStatus(t, a, 200, "")
		if a.get("data.authorization") != nil || a.str("data.access_token") == "" || a.str("data.refresh_token") == "" || a.str("data.user.id") != "u-1" {
			t.Fatalf("login: %s", a.raw)
		}
		r := b.refresh(a.str("data.refresh_token"))
		if r.get("data.authorization") != nil || r.str("data.access_token") == "" || r.get("data.expires_in") != float64(900) {
			t.Errorf("refresh: %s", r.raw)
		}
	},
	fakebackend.BreakLogoutKeepsFamily: func(t *testing.T, b *backend) {
		p := b.loginAlice()
		expectStatus(t, b.do("POST", "/auth/logout", jsonBody(map[string]string{"refresh_token": p.refresh})), 200, "")
		expectStatus(t, b.me(p.access), 200, "")
		b.mustRefresh(p.refresh)
	},
	fakebackend.BreakUnknownTokenIs500: func(t *testing.T, b *backend) {
		if a := b.refresh("garbage"); a.status != 500 {
			t.Errorf("unknown token: %d, want 500", a.status)
		}
		b.mustRefresh(b.loginAlice().refresh)
	},
	fakebackend.BreakRefreshSameAccess: func(t *testing.T, b *backend) {
		p := b.loginAlice()
		next := b.mustRefresh(p.refresh)
		if next.access != p.access || next.refresh == p.refresh {
			t.Errorf("refresh %+v -> %+v: want the same access token, a new refresh token", p, next)
		}
	},
	fakebackend.BreakBadCredentials200: func(t *testing.T, b *backend) {
		a := b.login(aliceEmail, "wrong")
		expectStatus(t, a, 200, "")
		if a.str("data.user.id") != "u-1" || a.str("data.authorization.access_token") == "" {
			t.Errorf("login: %s", a.raw)
		}
		expectStatus(t, b.login("nobody@example.com", "x"), 200, "")
	},
}

func TestEveryBreakIsChecked(t *testing.T) {
	for _, br := range fakebackend.AllBreaks {
		if breakChecks[br] == nil {
			t.Errorf("break %s has no check", br)
		}
	}
}

// Each break is switched on through the settings PATCH, on a backend that
// is correct before and after.
func TestBreaksViaSettings(t *testing.T) {
	b := startBackend(t, fakebackend.Config{})
	for _, br := range fakebackend.AllBreaks {
		t.Run(string(br), func(t *testing.T) {
			if err := b.ctl.Reset(bg); err != nil {
				t.Fatal(err)
			}
			if err := fakebackend.SetBreaks(bg, b.ctl, []fakebackend.Break{br}); err != nil {
				t.Fatal(err)
			}
			breakChecks[br](t, b)
		})
	}
}

// Breaks given at start work the same, and survive a reset.
func TestBreaksViaConfigSurviveReset(t *testing.T) {
	for _, br := range []fakebackend.Break{fakebackend.BreakNoRotation, fakebackend.BreakWrongEnvelope} {
		b := startBackend(t, fakebackend.Config{Breaks: []fakebackend.Break{br}})
		if err := b.ctl.Reset(bg); err != nil {
			t.Fatal(err)
		}
		breakChecks[br](t, b)
	}
}

func TestParseBreaks(t *testing.T) {
	got, err := fakebackend.ParseBreaks(" no-rotation, wrong-envelope ,")
	if err != nil || len(got) != 2 || got[0] != fakebackend.BreakNoRotation || got[1] != fakebackend.BreakWrongEnvelope {
		t.Errorf("ParseBreaks = %v, %v", got, err)
	}
	if _, err := fakebackend.ParseBreaks("no-rotation,nope"); err == nil {
		t.Error("an unknown break was accepted")
	}
}
