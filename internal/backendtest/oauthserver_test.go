package backendtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/report"
)

// The OAuth 2.0 server of these tests is the command in oauthserver/, a
// module of its own built on github.com/ory/fosite (see its doc comment):
// `refreshspec backend --strict` runs against it with a profile in the
// oauth2 dialect, as a team with an OAuth 2.0 server would. The tests build
// it and the refreshspec CLI and run both; they need no Docker.

// fositeLacks is what fosite does not do that the B suite asks for, with the
// reason: the scenarios that must fail against it, and only those. The
// verdict table of docs/dialects.md says the same.
var fositeLacks = map[string]string{
	"B2.8": "fosite has no rate limit of its own: its token endpoint answers every invalid refresh attempt " +
		"with 400 invalid_grant, never 429; a deployment puts one in front of it",
}

// fositeMeasuredOnly are INFO scenarios whose measurement differs from the
// seed's advice because of how this test sets fosite up, not because of fosite.
var fositeMeasuredOnly = map[string]string{
	"B2.13": "the test gives access tokens 3 s so that the suite can wait for their expiry (fosite's default is 1 hour)",
}

// oauthProfile is what a team with this server writes: the oauth2 dialect at
// the server's token, revocation and userinfo endpoints, a confidential
// client with HTTP Basic, offline_access for a refresh token, the access
// tokens' short lifetime so that expiry checks wait for it, and a rate-limit
// burst.
const oauthProfile = `
credentials:
  email: %s
  password: %s
  first_name: %s
backend:
  url: %s
  dialect: oauth2
  refresh: {path: %s}
  logout: {path: %s}
  me: {path: %s}
  paths: {me_first_name: given_name}
  client_id: %s
  client_secret: %s
  client_auth: %s
  scope: %s
  short_access_ttl: %s
  rate_limit_burst: 20
`

func writeOAuthProfile(t *testing.T, url, clientAuth string) string {
	t.Helper()
	yaml := fmt.Sprintf(oauthProfile, alice.email, alice.password, alice.givenName, url, oauthTokenPath, oauthRevokePath, oauthUserinfoPath,
		oauthClientID, oauthClientSecret, clientAuth, oauthOfflineScope, oauthAccessTTL)
	path := filepath.Join(t.TempDir(), "oauth2-server.refreshspec.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFositeBackendStrict runs `refreshspec backend --strict` against the
// fosite server as a team would: every B scenario passes but what fosite
// really lacks (fositeLacks), each of those fails, and nothing is skipped.
func TestFositeBackendStrict(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the fosite server")
	}
	t.Parallel()
	url := startOAuthServer(t)
	bin := refreshspecCLI(t)
	jsonReport := filepath.Join(t.TempDir(), "report.json")
	code, out := runCLI(t, bin, "backend", "--strict", "--profile", writeOAuthProfile(t, url, "basic"), "--json-report", jsonReport)
	rep := readJSONReport(t, jsonReport, out)
	want := 0
	if len(fositeLacks) > 0 {
		want = 1
	}
	if code != want {
		t.Errorf("refreshspec backend --strict exited %d; want %d (fails only %v)\n%s", code, want, slices.Sorted(maps.Keys(fositeLacks)), out)
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tlevel\tverdict\twhat it saw")
	for _, s := range rep.Scenarios {
		saw := strings.Join(s.Measured, "; ")
		if s.State == "failed" {
			first, _, _ := strings.Cut(s.Message, "\n")
			saw = strings.TrimSpace(first + " " + saw)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.Level, s.State, saw)
		reason, lacking := fositeLacks[s.ID]
		_, measured := fositeMeasuredOnly[s.ID]
		switch {
		case lacking && (s.State != "failed" || !s.FailsRun):
			t.Errorf("%s %s against fosite (fails the run: %v); want failed (%s)", s.ID, s.State, s.FailsRun, reason)
		case measured && (s.State == "skipped" || s.FailsRun):
			t.Errorf("%s %s against fosite (fails the run: %v); want it measured: %s", s.ID, s.State, s.FailsRun, s.Message)
		case !lacking && !measured && s.State != "passed":
			t.Errorf("%s %s against fosite; want passed: %s", s.ID, s.State, s.Message)
		}
	}
	tw.Flush()
	checkFositeRotation(t, rep)
	if n := len(rep.Scenarios); n != len(catalogue.Suite("B")) {
		t.Errorf("the report has %d B scenarios, want %d", n, len(catalogue.Suite("B")))
	}
	t.Logf("refreshspec backend --strict against fosite:\n%s", table.String())
}

// fositeRotation is what B2.14 measures of fosite's rotation: no grace at
// all (a used refresh token is refused at once, fosite's
// handleRefreshTokenReuse), and the reuse revokes the whole chain, access
// tokens included; semantics that match Ory Hydra's defaults (Hydra is
// built on fosite), Okta's with a 0 s grace period, Keycloak's with Revoke
// Refresh Token on and the contract's, and neither Auth0's (whose access
// tokens outlive the revocation) nor Cognito's (which revokes nothing).
var fositeRotation = struct{ measured, matches, notMatches []string }{
	measured: []string{"grace period none (refused at once)", "a refused reuse revokes the family: yes", "and its access tokens: yes"},
	matches: []string{"refreshspec's contract (grace window 0s)", "Okta (refresh token rotation, grace period 0s)",
		"Keycloak (Revoke Refresh Token on, Refresh Token Max Reuse 0)", "Ory Hydra (refresh_token_rotation grace_period 0s, grace_reuse_count 0)"},
	notMatches: []string{"Auth0", "Cognito"},
}

func checkFositeRotation(t *testing.T, rep report.JSONReport) {
	t.Helper()
	for _, s := range rep.Scenarios {
		if s.ID != "B2.14" {
			continue
		}
		saw := strings.Join(s.Measured, "\n")
		for _, want := range append(append([]string{}, fositeRotation.measured...), fositeRotation.matches...) {
			if !strings.Contains(saw, want) {
				t.Errorf("B2.14 against fosite: want %q in what it measured:\n%s", want, saw)
			}
		}
		for _, not := range fositeRotation.notMatches {
			if strings.Contains(saw, not) {
				t.Errorf("B2.14 against fosite names %s:\n%s", not, saw)
			}
		}
		return
	}
	t.Error("the report has no B2.14")
}

// TestFositeClientSecretPost: the same server takes the client's credentials
// in the form (client_secret_post) at its token and revocation endpoints.
func TestFositeClientSecretPost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the fosite server")
	}
	t.Parallel()
	url := startOAuthServer(t)
	bin := refreshspecCLI(t)
	code, out := runCLI(t, bin, "backend", "--strict", "--profile", writeOAuthProfile(t, url, "body"), "--focus", "B1,B2.1,B2.10")
	if code != 0 || !strings.Contains(out, "4 passed, 0 failed, 0 skipped") {
		t.Errorf("client_auth: body: exit %d, want 0 and 4 passed\n%s", code, out)
	}
}

// runCLI runs the CLI and returns its exit status and what it printed.
func runCLI(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	case err != nil:
		t.Fatalf("refreshspec %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return 0, out.String()
}

func readJSONReport(t *testing.T, path, out string) report.JSONReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JSON report: %v\n%s", err, out)
	}
	var rep report.JSONReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("reading the JSON report: %v", err)
	}
	return rep
}
