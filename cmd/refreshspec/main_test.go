package main

// These tests build refreshspec as users install it (CGO_ENABLED=0) and run
// the binary: against the reference proxy (conformant), against one of its
// mutants (internal/reference/mutants: not conformant), with bad input, and its list
// and fakebackend/backend commands. The proxy runs use the containerized
// fake backend, as the CLI does by default; they skip without a Docker
// engine unless REFRESHSPEC_REQUIRE_DOCKER=1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	fbcontainer "github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/internal/mutant"
	"github.com/refreshspec/refreshspec/internal/redisserver"
)

var (
	binDir   string
	builds   sync.Map // name -> *build
	repoRoot = filepath.Join("..", "..")
)

type build struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "refreshspec-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// The containers the CLI starts stay on this machine.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds a main package once per test run, statically, and returns
// the binary's path.
func binary(t *testing.T, name, pkg string) string {
	t.Helper()
	if testing.Short() && name != "refreshspec" {
		t.Skip("-short: runs the suite against a proxy it builds")
	}
	v, _ := builds.LoadOrStore(name, &build{})
	b := v.(*build)
	b.once.Do(func() {
		b.path = filepath.Join(binDir, name)
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func refreshspec(t *testing.T) string {
	return binary(t, "refreshspec", "./cmd/refreshspec")
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the refreshspec binary in dir (a temporary one if empty) with
// extra environment variables.
func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, refreshspec(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("refreshspec %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// junitDoc is the part of the Surefire schema CI readers rely on.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuite"`
	Tests   int      `xml:"tests,attr"`
	Cases   []struct {
		Name      *string   `xml:"name,attr"`
		Classname *string   `xml:"classname,attr"`
		Failure   *struct{} `xml:"failure"`
	} `xml:"testcase"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JUnit report does not parse: %v", err)
	}
	if len(doc.Cases) == 0 || doc.Tests != len(doc.Cases) {
		t.Fatalf("JUnit report has %d testcases and tests=%d", len(doc.Cases), doc.Tests)
	}
	for i, c := range doc.Cases {
		if c.Name == nil || *c.Name == "" || c.Classname == nil || *c.Classname == "" {
			t.Fatalf("testcase %d lacks a name or a classname", i)
		}
		if !strings.HasPrefix(*c.Classname, "refreshspec.") {
			t.Errorf("testcase %q has classname %q, want refreshspec.<group>", *c.Name, *c.Classname)
		}
	}
	return doc
}

type jsonDoc struct {
	Scenarios []struct {
		ID, Level, Title, State, Message string
	} `json:"scenarios"`
	Summary struct {
		Passed, Failed, Skipped int
		Strict, Conformant      bool
		Duration                float64
	} `json:"summary"`
}

func readJSON(t *testing.T, path string) jsonDoc {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc jsonDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JSON report does not parse: %v", err)
	}
	return doc
}

// TestReferenceIsConformant runs every P scenario against two instances of
// the reference sharing a Redis, so that P7.4 runs too.
func TestReferenceIsConformant(t *testing.T) {
	fbcontainer.RequireDocker(t)
	rs := redisserver.Require(t)
	ref := binary(t, "reference", "./cmd/reference")
	dir := t.TempDir()
	junit, jsonPath := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
	r := runCLI(t, []string{"REDIS_URL=" + rs.URL()}, "proxy", "--target-cmd", ref, "--instances", "2", "--junit-report", junit, "--json-report", jsonPath)
	if r.code != 0 {
		t.Fatalf("exit %d against the reference, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "--backend container") {
		t.Errorf("the default backend is not the container one:\n%s", r.stderr)
	}
	for _, s := range catalogue.Suite("P") {
		if !strings.Contains(r.stdout, " "+s.ID+" ") {
			t.Errorf("console has no line for %s", s.ID)
		}
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(catalogue.Suite("P")))
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("closing line = %q, want %q", last, want)
	}
	if verdict := lines[len(lines)-2]; !strings.HasPrefix(verdict, "verdict: conformant") {
		t.Errorf("verdict line = %q, want it to begin with \"verdict: conformant\"", verdict)
	}
	doc := readJUnit(t, junit)
	if doc.Tests != len(catalogue.Suite("P")) {
		t.Errorf("JUnit has %d testcases, want one per P scenario (%d)", doc.Tests, len(catalogue.Suite("P")))
	}
	j := readJSON(t, jsonPath)
	if !j.Summary.Conformant || j.Summary.Failed != 0 || len(j.Scenarios) != len(catalogue.Suite("P")) {
		t.Errorf("JSON summary = %+v with %d scenarios", j.Summary, len(j.Scenarios))
	}
}

func TestBrokenProxyFailsP22(t *testing.T) {
	fbcontainer.RequireDocker(t)
	dir := t.TempDir()
	broken := brokenProxy(t)
	junit, jsonPath := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
	summary := filepath.Join(dir, "summary.md")
	r := runCLI(t, nil, "proxy", "--target-cmd", broken,
		"--focus", "P2,P1", "--junit-report", junit, "--json-report", jsonPath, "--markdown-summary", summary)
	if r.code != 1 {
		t.Fatalf("exit %d against a proxy that does not retry, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "FAIL  P2.2   MUST") || !strings.Contains(r.stdout, "requirement: the same for an api route") {
		t.Errorf("console does not show P2.2 failed with its requirement:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "NOT conformant") {
		t.Errorf("console does not give the verdict:\n%s", r.stdout)
	}
	failed := false
	for _, c := range readJUnit(t, junit).Cases {
		if strings.HasPrefix(*c.Name, "P2.2 ") {
			failed = c.Failure != nil && *c.Classname == "refreshspec.P2"
		}
	}
	if !failed {
		t.Error("JUnit does not report P2.2 as a failure of refreshspec.P2")
	}
	j := readJSON(t, jsonPath)
	for _, s := range j.Scenarios {
		if s.ID == "P2.2" && (s.State != "failed" || s.Message == "" || s.Level != "MUST") {
			t.Errorf("JSON P2.2 = %+v, want failed with a message", s)
		}
	}
	if j.Summary.Conformant || j.Summary.Failed == 0 {
		t.Errorf("JSON summary = %+v", j.Summary)
	}
	if md, err := os.ReadFile(summary); err != nil || !strings.Contains(string(md), "| P2.2 | MUST | failed |") {
		t.Errorf("Markdown summary lacks P2.2's failure (%v):\n%s", err, md)
	}
}

// TestP74NeedsASharedStore is P7.4 through the CLI, the way a team checks
// its deployment: two instances of the reference sharing a Redis pass it
// (exit 0); without REDIS_URL each instance refreshes on its own, the fake
// backend (its grace window off in P7.4) sees reuse, and the run fails
// naming P7.4 (exit 1). With one instance P7.4 is skipped with the reason.
func TestP74NeedsASharedStore(t *testing.T) {
	rs := redisserver.Require(t)
	ref := binary(t, "reference", "./cmd/reference")
	r := runCLI(t, nil, "proxy", "--backend", "local", "--instances", "2", "--focus", "P7.4",
		"--target-cmd", "env REDIS_URL="+rs.URL()+" "+ref)
	if r.code != 0 || !strings.Contains(r.stdout, "PASS  P7.4") {
		t.Fatalf("exit %d with two instances sharing a Redis, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "proxy", "--backend", "local", "--instances", "2", "--focus", "P7.4", "--target-cmd", ref)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  P7.4") || !strings.Contains(r.stdout, "reuse") {
		t.Fatalf("exit %d with two instances and no shared store, want 1 naming P7.4 and the reuse\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "proxy", "--backend", "local", "--focus", "P7.4,P7.1", "--target-cmd", ref)
	if r.code != 0 || !strings.Contains(r.stdout, "--instances N") {
		t.Errorf("one instance: exit %d, want 0 with P7.4 skipped and the reason naming --instances\nstdout:\n%s", r.code, r.stdout)
	}
}

// TestBackendRotationFlag: with --backend-rotation the fake backend serves
// a provider's rules, and P4.3 and P7.3 report under them.
func TestBackendRotationFlag(t *testing.T) {
	ref := binary(t, "reference", "./cmd/reference")
	r := runCLI(t, nil, "proxy", "--backend", "local", "--backend-rotation", "okta,grace_period=10s", "--focus", "P4.3,P7.3", "--target-cmd", ref)
	for _, want := range []string{
		"P4.3: under the backend's rotation okta (grace period 10s",
		"P7.3: under the rotation okta (grace period 10s, reuses unlimited within it, only the previous token, answering a new pair; reuse outside it revokes the family and its access tokens), 10 concurrent requests caused",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in the output", want)
		}
	}
	if r.code != 0 || t.Failed() {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// Two instances without a shared store: Okta's grace period forgives
	// the second instance's refresh (no user is logged out), and P7.4, a
	// MUST of one refresh across the instances, still fails, saying so.
	r = runCLI(t, nil, "proxy", "--backend", "local", "--backend-rotation", "okta", "--instances", "2", "--focus", "P7.4", "--target-cmd", ref)
	if r.code != 1 || !strings.Contains(r.stdout, "P7.4: round 1 under the rotation okta: the backend answered the refreshes of the 2 instances map[grace:") ||
		!strings.Contains(r.stdout, "(under the backend's rotation okta (grace period 30s") {
		t.Fatalf("exit %d, want 1 with P7.4 naming okta and its grace answers\nstdout:\n%s", r.code, r.stdout)
	}
}

// brokenProxy builds the reference with its no-retry mutant: P2.2 fails.
func brokenProxy(t *testing.T) string {
	t.Helper()
	return mutantProxy(t, "no-retry")
}

// mutantProxy builds the reference with the named mutant of
// internal/reference/mutants applied and returns the binary.
func mutantProxy(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs the suite against a mutant it builds")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := mutant.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mutant.Find(ms, name)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := mutant.Build(t.Context(), root, mutant.ReferenceCommand, m, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestAcceptedFailureDoesNotFailTheRun: a baseline (--accept) turns a known
// failure into ACCEPTED with its reason, the run exits 0, and an accepted
// scenario that passes is reported so that its entry can go.
func TestAcceptedFailureDoesNotFailTheRun(t *testing.T) {
	dir := t.TempDir()
	accept := filepath.Join(dir, "accept.yaml")
	if err := os.WriteFile(accept, []byte("- id: P2.2\n  reason: the retry lands next sprint\n- id: P1.1\n  reason: an old finding\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "r.json")
	r := runCLI(t, nil, "proxy", "--backend", "local", "--target-cmd", brokenProxy(t), "--focus", "P1.1,P2.2", "--accept", accept, "--json-report", jsonPath)
	if r.code != 0 {
		t.Fatalf("exit %d with P2.2's failure accepted, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"ACCEPTED  P2.2   MUST", "accepted: the retry lands next sprint",
		"accepted P1.1 passed in this run: drop it from the accept list",
		"verdict: conformant; 1 accepted: P2.2",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("console lacks %q:\n%s", want, r.stdout)
		}
	}
	j := readJSON(t, jsonPath)
	if !j.Summary.Conformant {
		t.Errorf("JSON summary = %+v, want conformant", j.Summary)
	}
}

// TestInterruptedRunSaysSo: Ctrl-C in the middle of a run gives the verdict
// "interrupted", not "NOT conformant", and exit 2.
func TestInterruptedRunSaysSo(t *testing.T) {
	ref := binary(t, "reference", "./cmd/reference")
	dir := t.TempDir()
	// P6.2 waits out the target's backend timeout: 10 s, in which the
	// interrupt surely comes.
	slow := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(slow, []byte("target:\n  backend_timeout: 10s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(refreshspec(t), "proxy", "--backend", "local", "--target-cmd", ref, "--profile", slow, "--focus", "P1.1,P6.2")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "PASS  P1.1") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("exit %v after Ctrl-C, want 2", err)
	}
	if !strings.Contains(out.String(), "verdict: interrupted (") || strings.Contains(out.String(), "NOT conformant") || !strings.Contains(out.String(), "1 passed, 0 failed, 1 skipped") {
		t.Errorf("console after Ctrl-C:\n%s\nstderr:\n%s", out.String(), stderr.String())
	}
}

// TestPreflightGivesOneDiagnosis: a profile whose login mapping is wrong
// stops the run before any scenario, with exit 2 and one diagnosis naming
// the step, the status and the profile key to check.
func TestPreflightGivesOneDiagnosis(t *testing.T) {
	dir := t.TempDir()
	ref := binary(t, "reference", "./cmd/reference")
	for _, c := range []struct {
		name, profile string
		want          []string
	}{
		{"login fields", "proxy:\n  login_fields: {email: user}\n",
			[]string{"pre-flight", "POST /login", "answered 400", "the fake backend saw: no POST /auth/login", "check proxy.login_fields.email"}},
		// The reference speaks the json dialect: its login goes where the
		// profile's oauth2 mapping serves nothing, and it answers 502.
		{"backend dialect", "backend:\n  dialect: oauth2\n",
			[]string{"pre-flight", "POST /login", "answered 502", "the fake backend saw: POST /auth/login, which the profile's mapping does not serve",
				"check backend.dialect and backend.login: the target called POST /auth/login", "which the profile maps to POST /oauth/token"}},
	} {
		prof := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
		if err := os.WriteFile(prof, []byte(c.profile), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, nil, "proxy", "--backend", "local", "--target-cmd", ref, "--profile", prof)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", c.name, r.code, r.stdout, r.stderr)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.name, want, r.stderr)
			}
		}
		if strings.Contains(r.stdout, "FAIL") {
			t.Errorf("%s: scenarios ran after the pre-flight failed:\n%s", c.name, r.stdout)
		}
	}
}

// TestNoSessionSecretSkipsTheSecretScenarios: a target whose cookie
// depends on no SESSION_SECRET (target.env_names.session_secret: none) gets
// none, and P8.2 and P8.3 are skipped with that reason, never passed.
func TestNoSessionSecretSkipsTheSecretScenarios(t *testing.T) {
	ref := binary(t, "reference", "./cmd/reference")
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.yaml")
	// The reference needs a secret: this target brings its own.
	cmd := "SESSION_SECRET=" + strings.Repeat("s", 32) + " exec '" + ref + "'"
	if err := os.WriteFile(prof, []byte("target:\n  command: \""+cmd+"\"\n  env_names: {session_secret: none}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "proxy", "--backend", "local", "--profile", prof, "--focus", "P1.1,P8.2,P8.3")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"SKIP  P8.2", "SKIP  P8.3", "target.env_names.session_secret: none", "PASS  P1.1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("console lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestTargetImage runs the reference from a FROM scratch image: the target
// container reaches the fake backend container over their shared network,
// and the suite restarts it for P1.2, P8.2 and P8.3.
func TestTargetImage(t *testing.T) {
	fbcontainer.RequireDocker(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("skipped: building the target image needs the docker command")
	}
	ctxDir := t.TempDir()
	ref := binary(t, "reference", "./cmd/reference")
	raw, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "reference"), raw, 0o755); err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM scratch\nCOPY reference /reference\nENTRYPOINT [\"/reference\"]\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	image := "refreshspec-e2e/reference:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if out, err := exec.Command("docker", "build", "-q", "-t", image, ctxDir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })

	r := runCLI(t, nil, "proxy", "--target-image", image, "--focus", "P1,P2.2,P8.2")
	if r.code != 0 || !strings.Contains(r.stdout, "PASS  P8.2") || !strings.Contains(r.stdout, "PASS  P1.2") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "proxy", "--target-image", "refreshspec-e2e/absent:none", "--focus", "P1.1")
	if r.code != 2 || !strings.Contains(r.stderr, "never pulls") {
		t.Errorf("absent image: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestLocalBackendAndStrictMode(t *testing.T) {
	ref := binary(t, "reference", "./cmd/reference")
	r := runCLI(t, nil, "proxy", "--backend", "local", "--target-cmd", ref, "--focus", "P2,P6.1", "--strict")
	if r.code != 0 || !strings.Contains(r.stdout, "PASS  P2.1") || !strings.Contains(r.stdout, ", strict") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	failing := filepath.Join(dir, "failing.yaml")
	badReady := filepath.Join(dir, "ready.yaml")
	badAccept := filepath.Join(dir, "accept.yaml")
	for file, content := range map[string]string{
		bad:       "target:\n  command: npm start\nproxy:\n  cookie: sid\n",
		failing:   "target:\n  command: echo starting; exit 3\n  start_timeout: 20s\n",
		badReady:  "target:\n  command: npm start\n  ready_path: healthz\n",
		badAccept: "- id: P8.3\n",
	} {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"proxy", "--profile", bad}, `unknown key "proxy.cookie"`},
		{[]string{"proxy", "--profile", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{[]string{"proxy", "--backend", "bogus", "--target-cmd", "true"}, `--backend: "bogus"`},
		{[]string{"proxy", "--backend", "local", "--backend-image", "refreshspec/fakebackend:dev", "--target-cmd", "true"}, "--backend-image refreshspec/fakebackend:dev needs --backend container"},
		{[]string{"fakebackend", "--backend-image", "refreshspec/fakebackend:dev"}, "--backend-image refreshspec/fakebackend:dev needs --backend container"},
		{[]string{"proxy", "--backend", "local", "--target-cmd", "echo starting; exit 3", "--start-timeout", "20s"}, "never became ready"},
		// A value from the profile is named by its key, not by a flag the
		// user never passed.
		{[]string{"proxy", "--backend", "local", "--profile", failing}, "target.command in " + failing + ": the target never became ready"},
		{[]string{"proxy", "--profile", badReady}, "target.ready_path in " + badReady + `: "healthz" must start with /`},
		{[]string{"proxy", "--target-cmd", "true", "--accept", badAccept}, `--accept: accept file ` + badAccept + `: accept[0].reason: empty`},
		{[]string{"proxy", "--target-cmd", "true", "--backend-rotation", "okta,grace_period=2m"}, "--backend-rotation: rotation.grace_period: 2m0s is longer than okta allows (1m0s)"},
		{[]string{"proxy", "--target-cmd", "true", "--backend-rotation", "ping"}, `--backend-rotation: rotation.preset: "ping" is not one of`},
	} {
		r := runCLI(t, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("refreshspec %s: exit %d, stderr:\n%s\nwant exit 2 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}

// TestNoDockerIsASetupError hides the Docker socket from the CLI in a mount
// namespace of its own (testcontainers falls back to the default socket when
// DOCKER_HOST is wrong, so that cannot simulate it).
func TestNoDockerIsASetupError(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil || os.Geteuid() != 0 {
		t.Skip("skipped: hiding the Docker socket needs unshare and root")
	}
	probe := exec.Command("unshare", "-m", "--propagation", "private", "true")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("skipped: unshare -m is not permitted here: %v %s", err, out)
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/run 2>/dev/null; exec "$0" proxy --target-cmd true`, refreshspec(t))
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_RUNTIME_DIR=", "DOCKER_HOST=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 ||
		!strings.Contains(stderr.String(), "no Docker engine reachable for --backend container; start Docker or use --backend local") {
		t.Errorf("without Docker: %v, stderr:\n%s", err, stderr.String())
	}
}

// TestDynamicBinaryIsASetupError runs a refreshspec built with cgo outside
// the source tree: it cannot serve the fake backend in a scratch container.
func TestDynamicBinaryIsASetupError(t *testing.T) {
	fbcontainer.RequireDocker(t)
	dynamic := filepath.Join(binDir, "refreshspec-cgo")
	build := exec.Command("go", "build", "-o", dynamic, "./cmd/refreshspec")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("skipped: no cgo build here: %v %s", err, out)
	}
	if fbcontainer.CheckStatic(dynamic) == nil {
		t.Skip("skipped: the cgo build came out static (no libc networking here)")
	}
	cmd := exec.Command(dynamic, "proxy", "--target-cmd", "true")
	cmd.Dir = t.TempDir() // outside the module: no go build fallback
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "CGO_ENABLED=0 go install") ||
		!strings.Contains(stderr.String(), "--backend local") {
		t.Errorf("dynamic binary: %v, stderr:\n%s", err, stderr.String())
	}
}

func TestListHasTheWholeCatalogue(t *testing.T) {
	r := runCLI(t, nil, "list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range catalogue.All() {
		if !strings.Contains(r.stdout, s.ID+" ") {
			t.Errorf("list lacks %s", s.ID)
		}
	}
}

// TestBackendSuiteAgainstTheFakeBackend runs `refreshspec fakebackend` as a
// developer would, then `refreshspec backend` against it.
func TestBackendSuiteAgainstTheFakeBackend(t *testing.T) {
	cmd := exec.Command(refreshspec(t), "fakebackend", "--backend", "local", "--addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	urls := map[string]string{}
	buf := make([]byte, 4096)
	var got strings.Builder
	for len(urls) < 2 {
		n, err := stdout.Read(buf)
		if err != nil {
			t.Fatalf("fakebackend printed %q, then: %v", got.String(), err)
		}
		got.Write(buf[:n])
		urls = map[string]string{}
		for _, line := range strings.Split(got.String(), "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && strings.HasPrefix(v, "http://127.0.0.1:") {
				urls[k] = strings.TrimSpace(v)
			}
		}
	}
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "b.json")
	r := runCLI(t, nil, "backend", "--target-url", urls["api"], "--control-url", urls["control"], "--rate-limit-burst", "30", "--json-report", jsonPath)
	if r.code != 0 {
		t.Fatalf("exit %d against the fake backend\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	j := readJSON(t, jsonPath)
	if len(j.Scenarios) != len(catalogue.Suite("B")) || !j.Summary.Conformant {
		t.Errorf("JSON: %d scenarios, summary %+v", len(j.Scenarios), j.Summary)
	}
}

// TestProfileCredentialsSeedTheFakeBackend runs the P suite logged in as a
// user of the profile's that is not the fake backend's default Alice: the
// CLI seeds the fake backend with it, so login works and the pages show his
// first name.
func TestProfileCredentialsSeedTheFakeBackend(t *testing.T) {
	ref := binary(t, "reference", "./cmd/reference")
	prof := filepath.Join(t.TempDir(), "bob.yaml")
	rs := redisserver.Require(t)
	yaml := fmt.Sprintf("target:\n  command: %q\n  instances: 2\n  env:\n    REDIS_URL: %s\ncredentials:\n  email: bob@example.com\n  password: another pass\n  first_name: Bob\n", ref, rs.URL())
	if err := os.WriteFile(prof, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "proxy", "--backend", "local", "--profile", prof)
	want := fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(catalogue.Suite("P")))
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d with the profile's user Bob, want 0 and %q\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

// TestCredentialFlagsSeedTheContainerBackend gives the user as flags, with
// the fake backend in its container: the CLI passes the user on the
// container's command line.
func TestCredentialFlagsSeedTheContainerBackend(t *testing.T) {
	fbcontainer.RequireDocker(t)
	ref := binary(t, "reference", "./cmd/reference")
	r := runCLI(t, nil, "proxy", "--target-cmd", ref, "--focus", "P1.1,P2.1,P2.2",
		"--email", "bob@example.com", "--password", "another pass", "--first-name", "Bob")
	if r.code != 0 || !strings.Contains(r.stdout, "3 passed, 0 failed, 0 skipped") {
		t.Fatalf("exit %d with --email bob@example.com, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// The same user in the fake backend run in this process.
	r = runCLI(t, nil, "proxy", "--target-cmd", ref, "--focus", "P2.1", "--backend", "local",
		"--email", "bob@example.com", "--password", "another pass", "--first-name", "Bob")
	if r.code != 0 {
		t.Fatalf("exit %d with --backend local\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestEverySkippedIsInconclusive selects only scenarios that need a target
// the suite starts, against a --target-url: nothing runs, and that is no
// pass.
func TestEverySkippedIsInconclusive(t *testing.T) {
	// The login sets a cookie, so that the pre-flight passes; nothing else
	// is needed, since both scenarios skip before their login.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "opens-nothing", Path: "/", HttpOnly: true})
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	r := runCLI(t, nil, "proxy", "--backend", "local", "--target-url", srv.URL,
		"--backend-addr", "127.0.0.1:0", "--backend-control-addr", "127.0.0.1:0",
		"--focus", "P8.2,P8.3", "--json-report", jsonPath)
	if r.code != 2 || !strings.Contains(r.stdout, "verdict: inconclusive: every selected scenario was skipped") ||
		!strings.Contains(r.stdout, "0 passed, 0 failed, 2 skipped") {
		t.Fatalf("exit %d, want 2 and an inconclusive verdict\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct{ Conformant, Inconclusive bool } `json:"summary"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Summary.Conformant || !doc.Summary.Inconclusive {
		t.Errorf("JSON summary = %+v (%v), want conformant false, inconclusive true", doc.Summary, err)
	}
}
