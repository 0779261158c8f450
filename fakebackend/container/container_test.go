package container

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// envelope is the JSON envelope of contract.md §1.
type envelope struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Message string `json:"message"`
	Data    struct {
		Authorization struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			TokenType    string `json:"token_type"`
			ExpiresIn    int    `json:"expires_in"`
		} `json:"authorization"`
		FirstName string `json:"firstName"`
	} `json:"data"`
}

type answer struct {
	status int
	header http.Header
	body   envelope
}

func call(t *testing.T, method, url, bearer string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: %d answer is not a JSON envelope: %v: %.200s", method, url, resp.StatusCode, err, raw)
	}
	return a
}

// binaryDir holds the fake backend binary that the tests share; TestMain
// removes it.
var (
	binaryDir  string
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// fakeBackendBinary builds the fake backend once for all the tests.
func fakeBackendBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "refreshspec-fakebackend-")
		if binaryErr == nil {
			binaryPath, binaryErr = BuildBinary(context.Background(), binaryDir)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// TestDockerfileImage builds fakebackend/Dockerfile the way `make images`
// does (its directory holding only the binary) and starts it with Run's
// defaults: the image's entrypoint must serve both listeners on the ports Run
// publishes.
func TestDockerfileImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds an image")
	}
	RequireDocker(t)
	ctx := context.Background()

	dir := t.TempDir()
	for src, dst := range map[string]string{fakeBackendBinary(t): "fakebackend", "../Dockerfile": "Dockerfile"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A request may name an image or a build context, not both.
	c, err := Run(ctx, testcontainers.WithImage(""), testcontainers.WithDockerfile(testcontainers.FromDockerfile{Context: dir}))
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := c.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctl.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	api, err := c.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	creds := profile.Default().Credentials
	login := call(t, http.MethodPost, api+"/auth/login", "", map[string]string{"email": creds.Email, "password": creds.Password})
	if login.status != http.StatusOK || login.body.Data.Authorization.ExpiresIn != 15*60 {
		t.Errorf("login: %d %+v, want 200 with the default 15 min access token", login.status, login.body)
	}
}

func refreshBody(token string) map[string]string { return map[string]string{"refresh_token": token} }

// TestFakeBackendInContainer starts the fake backend from a static binary and
// walks one token family through contract.md §1: login, refresh (rotation),
// reuse of the rotated-away token (the family is revoked), and the revoked
// family's newest tokens refused; the control API must have journaled and
// counted exactly that.
func TestFakeBackendInContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a container")
	}
	RequireDocker(t)
	ctx := context.Background()

	bin := fakeBackendBinary(t)
	start := time.Now()
	c, err := Run(ctx, WithStaticBinary(bin), WithArgs("--access-ttl=1m"))
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("container built and ready in %s", time.Since(start).Round(time.Millisecond))

	api, err := c.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := c.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(api, "http://127.0.0.1:") || !strings.HasPrefix(ctl.BaseURL(), "http://127.0.0.1:") {
		t.Errorf("URL %q, control %q: want both on http://127.0.0.1", api, ctl.BaseURL())
	}
	inspect, err := c.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for port, bindings := range inspect.NetworkSettings.Ports {
		for _, b := range bindings {
			if b.HostIP.String() != "127.0.0.1" {
				t.Errorf("port %s is published on %s, want 127.0.0.1 only", port, b.HostIP)
			}
		}
	}

	settings, err := ctl.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if settings.AccessTTL.Std() != time.Minute {
		t.Errorf("access TTL = %s, want 1m0s from WithArgs(--access-ttl=1m)", settings.AccessTTL.Std())
	}

	creds := profile.Default().Credentials
	login := call(t, http.MethodPost, api+"/auth/login", "", map[string]string{"email": creds.Email, "password": creds.Password})
	auth := login.body.Data.Authorization
	if login.status != http.StatusOK || !login.body.Success || auth.AccessToken == "" || auth.RefreshToken == "" {
		t.Fatalf("login: %d %+v, want 200 with both tokens", login.status, login.body)
	}
	if auth.ExpiresIn != 60 || auth.TokenType != "Bearer" {
		t.Errorf("login: expires_in %d, token_type %q; want 60 and Bearer", auth.ExpiresIn, auth.TokenType)
	}
	if cc := login.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("login: Cache-Control %q, want no-store", cc)
	}
	if me := call(t, http.MethodGet, api+"/api/user/me", auth.AccessToken, nil); me.status != http.StatusOK || me.body.Data.FirstName != creds.FirstName {
		t.Errorf("me: %d %+v, want 200 for %s", me.status, me.body, creds.FirstName)
	}

	refreshed := call(t, http.MethodPost, api+"/auth/refresh", "", refreshBody(auth.RefreshToken))
	next := refreshed.body.Data.Authorization
	if refreshed.status != http.StatusOK || next.RefreshToken == "" || next.RefreshToken == auth.RefreshToken || next.AccessToken == auth.AccessToken {
		t.Fatalf("refresh: %d %+v, want 200 with a rotated refresh token and a new access token", refreshed.status, refreshed.body)
	}

	reuse := call(t, http.MethodPost, api+"/auth/refresh", "", refreshBody(auth.RefreshToken))
	if reuse.status != http.StatusUnauthorized || reuse.body.Error != "invalid_grant" {
		t.Errorf("reuse of the rotated-away token: %d %q, want 401 invalid_grant", reuse.status, reuse.body.Error)
	}
	newest := call(t, http.MethodPost, api+"/auth/refresh", "", refreshBody(next.RefreshToken))
	if newest.status != http.StatusUnauthorized || newest.body.Error != "invalid_grant" {
		t.Errorf("newest refresh token after reuse: %d %q, want 401 invalid_grant (the family is revoked)", newest.status, newest.body.Error)
	}
	revokedMe := call(t, http.MethodGet, api+"/api/user/me", next.AccessToken, nil)
	if revokedMe.status != http.StatusUnauthorized || !strings.Contains(revokedMe.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("newest access token after reuse: %d, WWW-Authenticate %q; want 401 invalid_token",
			revokedMe.status, revokedMe.header.Get("WWW-Authenticate"))
	}

	journal, err := ctl.Journal(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range journal {
		if e.Route == control.RouteRefresh {
			outcomes = append(outcomes, string(e.Outcome))
		}
	}
	want := []string{string(control.OutcomeOK), string(control.OutcomeReuse), string(control.OutcomeInvalidGrant)}
	if strings.Join(outcomes, ",") != strings.Join(want, ",") {
		t.Errorf("journaled refresh outcomes = %v, want %v", outcomes, want)
	}
	if len(journal) != 6 {
		t.Errorf("journal has %d entries, want 6 (login, me, 3 refreshes, me): %+v", len(journal), journal)
	}

	counts, err := ctl.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Total(control.RouteRefresh) != 3 || counts[control.RouteRefresh][control.OutcomeReuse] != 1 ||
		counts.Total(control.RouteLogin) != 1 || counts[control.RouteMe][control.OutcomeInvalidToken] != 1 {
		t.Errorf("counts = %v, want 1 login, 3 refreshes (1 reuse), 1 me refused as invalid_token", counts)
	}

	tokens, err := ctl.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.Value == next.RefreshToken || tok.Value == next.AccessToken {
			if tok.State != control.StateRevoked {
				t.Errorf("%s token of generation %d is %s after reuse, want revoked", tok.Kind, tok.Generation, tok.State)
			}
		}
	}
}

// WithMapping passes a mapping other than contract.md §1's on the command
// line, and nothing for the default, so that older images still start.
func TestWithMappingArgs(t *testing.T) {
	for _, c := range []struct {
		m    dialect.Mapping
		want string
	}{
		{dialect.Mapping{}, ""},
		{dialect.Default(), ""},
		{dialect.Mapping{Dialect: dialect.OAuth2, ClientID: "app"}, `--mapping-json={"dialect":"oauth2",`},
	} {
		var req testcontainers.GenericContainerRequest
		if err := WithMapping(c.m)(&req); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(req.Cmd, " ")
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: args %q, want %q...", c.m.Dialect, got, c.want)
		}
	}
}

// TestFakeBackendInContainerSpeaksTheMapping runs the container with an
// OAuth 2.0 mapping: the password grant, the refresh_token grant and the
// revocation reach it at their own paths, and the journal names the roles.
func TestFakeBackendInContainerSpeaksTheMapping(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a container")
	}
	RequireDocker(t)
	ctx := context.Background()
	m := dialect.Mapping{
		Dialect: dialect.OAuth2, Refresh: dialect.Endpoint{Path: "/realms/demo/protocol/openid-connect/token"},
		Logout: dialect.Endpoint{Path: "/realms/demo/protocol/openid-connect/revoke"}, ClientID: "app", ClientSecret: "s3cret",
		Scope: "offline_access",
	}
	m.ApplyDefaults()
	c, err := Run(ctx, WithStaticBinary(fakeBackendBinary(t)), WithMapping(m))
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	api, err := c.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := c.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(req *http.Request, err error) (int, []byte) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	status, raw := send(m.NewLoginRequest(ctx, api, "alice@example.com", "correct horse"))
	login, err := m.ReadTokens(raw)
	if status != 200 || err != nil || login.Scope != "offline_access" {
		t.Fatalf("password grant: %d %v %s", status, err, raw)
	}
	status, raw = send(m.NewRefreshRequest(ctx, api, login.Refresh))
	next, err := m.ReadTokens(raw)
	if status != 200 || err != nil || next.Refresh == login.Refresh {
		t.Fatalf("refresh_token grant: %d %v %s", status, err, raw)
	}
	if status, raw = send(m.NewLogoutRequest(ctx, api, next.Refresh)); status != 200 {
		t.Errorf("revocation: %d %s", status, raw)
	}
	if status, raw = send(m.NewRefreshRequest(ctx, api, next.Refresh)); status != 400 {
		t.Errorf("refresh after revocation: %d %s, want 400 invalid_grant", status, raw)
	}
	journal, err := ctl.Journal(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, e := range journal {
		roles = append(roles, string(e.Route)+" at "+e.Path)
	}
	want := []string{
		"POST /auth/login at /realms/demo/protocol/openid-connect/token",
		"POST /auth/refresh at /realms/demo/protocol/openid-connect/token",
		"POST /auth/logout at /realms/demo/protocol/openid-connect/revoke",
		"POST /auth/refresh at /realms/demo/protocol/openid-connect/token",
	}
	if strings.Join(roles, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(roles, "\n"), strings.Join(want, "\n"))
	}
}
