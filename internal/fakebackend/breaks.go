package fakebackend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// Break names a deliberate defect the fake backend can be switched into, the
// way real backends are broken; the backend suite's mutation self-test uses
// them. They are set by Config.Breaks, the --break flag, or the control
// API's settings ("breaks"); the public control client leaves them out, since
// no user of the fake backend wants one. A correct run sets none.
type Break string

// The defects of the backend suite's mutation self-test: each must fail a B scenario.
const (
	BreakNoRotation         Break = "no-rotation"          // refresh returns the same refresh token
	BreakNoInvalidation     Break = "no-invalidation"      // the presented refresh token keeps working
	BreakNoFamilyRevocation Break = "no-family-revocation" // reuse is rejected but the family lives on
	BreakMalformedJSON500   Break = "malformed-json-500"   // a malformed body gets a 500
	BreakNoCacheControl     Break = "no-cache-control"     // token responses lack Cache-Control: no-store
	BreakNoWWWAuthenticate  Break = "no-www-authenticate"  // a rejected access token gets no WWW-Authenticate
	BreakNoRateLimit        Break = "no-rate-limit"        // refresh is never rate-limited
	BreakWrongEnvelope      Break = "wrong-envelope"       // tokens at data.access_token, not data.authorization
	BreakLogoutKeepsFamily  Break = "logout-keeps-family"  // logout answers 200 but revokes nothing
	BreakUnknownTokenIs500  Break = "unknown-refresh-500"  // an unknown refresh token gets a 500
	BreakRefreshSameAccess  Break = "refresh-same-access"  // refresh returns the same access token
	BreakBadCredentials200  Break = "bad-credentials-200"  // bad credentials log in anyway
)

// AllBreaks lists every defect, in a stable order.
var AllBreaks = []Break{
	BreakNoRotation, BreakNoInvalidation, BreakNoFamilyRevocation, BreakMalformedJSON500,
	BreakNoCacheControl, BreakNoWWWAuthenticate, BreakNoRateLimit, BreakWrongEnvelope,
	BreakLogoutKeepsFamily, BreakUnknownTokenIs500, BreakRefreshSameAccess, BreakBadCredentials200,
}

// settings are the run-time settings: the control API's, and the break this
// backend is switched into, which travels on the control wire as "breaks".
type settings struct {
	control.Settings
	Breaks []Break `json:"breaks,omitempty"`
}

// settingsPatch is control.SettingsPatch with the breaks.
type settingsPatch struct {
	control.SettingsPatch
	Breaks *[]Break `json:"breaks,omitempty"`
}

// SetBreaks switches the fake backend behind c into breaks (none: correct
// again) through its control API, as the backend suite's mutation self-test
// does after each reset.
func SetBreaks(ctx context.Context, c *control.Client, breaks []Break) error {
	list := append([]Break{}, breaks...)
	body, err := json.Marshal(settingsPatch{Breaks: &list})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, strings.TrimRight(c.BaseURL(), "/")+control.PathSettings, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("fakebackend: set breaks: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fakebackend: set breaks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("fakebackend: set breaks: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Breaks are the breaks the fake backend behind c is switched into now, read
// from its control API's settings.
func Breaks(ctx context.Context, c *control.Client) ([]Break, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL(), "/")+control.PathSettings, nil)
	if err != nil {
		return nil, fmt.Errorf("fakebackend: read breaks: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fakebackend: read breaks: %w", err)
	}
	defer resp.Body.Close()
	var s settings
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("fakebackend: read breaks: %s: %w", resp.Status, err)
	}
	return s.Breaks, nil
}
