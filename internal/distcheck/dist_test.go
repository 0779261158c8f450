package distcheck

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scenarioLine is a line of `refreshspec list`: ID, level, title.
var scenarioLine = regexp.MustCompile(`(?m)^[PWB][0-9]+\.[0-9]+ +(MUST|SHOULD|INFO) +\S`)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// TestRelease checks the release archives, the image and the npm packages
// of one build.
func TestRelease(t *testing.T) {
	t.Parallel()
	d := dist(t)
	t.Run("archives", func(t *testing.T) { checkArchives(t, d) })
	t.Run("image", func(t *testing.T) { checkImage(t, d) })
	t.Run("npm", func(t *testing.T) { checkNpm(t, d) })
}

// checkArchives: the checksums file lists every archive, in sha256sum's
// format, with the right sums; the platform's archive holds the binary,
// LICENSE and README.md; the binary is static, and says its version and
// lists the scenarios.
func checkArchives(t *testing.T, d distribution) {
	name := "refreshspec_" + version + "_" + strings.ReplaceAll(platform, "/", "_") + ".tar.gz"
	sums, err := os.ReadFile(filepath.Join(d.dir, "refreshspec_"+version+"_checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n") {
		m := regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("checksums file: %q is not a sha256sum line", line)
		}
		raw, err := os.ReadFile(filepath.Join(d.dir, m[2]))
		if err != nil {
			t.Fatalf("checksums file lists %s: %v", m[2], err)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != m[1] {
			t.Errorf("%s: SHA-256 %x, the checksums file says %s", m[2], sum, m[1])
		}
		listed[m[2]] = true
	}
	archives, _ := filepath.Glob(filepath.Join(d.dir, "refreshspec_*"))
	for _, a := range archives {
		if base := filepath.Base(a); !strings.HasSuffix(base, "_checksums.txt") && !listed[base] {
			t.Errorf("the checksums file does not list %s", base)
		}
	}
	if !listed[name] {
		t.Fatalf("no %s in the checksums file:\n%s", name, sums)
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "--check", "--strict", "refreshspec_"+version+"_checksums.txt")
		cmd.Dir = d.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum --check: %v\n%s", err, out)
		}
	}

	files := untar(t, filepath.Join(d.dir, name))
	if names := slices.Sorted(maps.Keys(files)); !slices.Equal(names, []string{"LICENSE", "README.md", "refreshspec"}) {
		t.Errorf("%s holds %v, want LICENSE, README.md and refreshspec", name, names)
	}
	license, _ := os.ReadFile(filepath.Join(repoRoot(), "LICENSE"))
	if !bytes.Equal(files["LICENSE"].data, license) || !bytes.Contains(license, []byte("Apache License")) {
		t.Errorf("%s's LICENSE is not the repository's Apache-2.0 LICENSE", name)
	}
	if files["refreshspec"].mode&0o111 == 0 {
		t.Errorf("%s: refreshspec has mode %v, not executable", name, files["refreshspec"].mode)
	}
	bin := filepath.Join(t.TempDir(), "refreshspec")
	if err := os.WriteFile(bin, files["refreshspec"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	if f, err := elf.Open(bin); err != nil {
		t.Errorf("refreshspec is no ELF binary: %v", err)
	} else {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("refreshspec is linked dynamically (it has an ELF interpreter): CGO_ENABLED=0 was not honoured")
			}
		}
		f.Close()
	}
	checkVersion(t, "the archive's refreshspec version", run(t, nil, bin, "version"))
	checkList(t, "the archive's refreshspec list", run(t, nil, bin, "list"))
}

type tarFile struct {
	mode os.FileMode
	data []byte
}

func untar(t *testing.T, path string) map[string]tarFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	files := map[string]tarFile{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, h.Name, err)
		}
		files[h.Name] = tarFile{mode: h.FileInfo().Mode(), data: data}
	}
}

// checkVersion: `refreshspec version` names the stamped version, a commit
// and this platform.
func checkVersion(t *testing.T, what, out string) {
	t.Helper()
	want := regexp.MustCompile(`^refreshspec ` + regexp.QuoteMeta(version) + `\ncommit: ([0-9a-f]{40}|unknown)\ngo: go\S+ ` + regexp.QuoteMeta(platform) + `\n$`)
	if !want.MatchString(out) {
		t.Errorf("%s printed %q, want it to match %s", what, out, want)
	}
}

// checkList: `refreshspec list` prints the catalogue, P1.1 first.
func checkList(t *testing.T, what, out string) {
	t.Helper()
	if n := len(scenarioLine.FindAllString(out, -1)); n < 30 || !strings.HasPrefix(out, "P1.1 ") {
		t.Errorf("%s printed %d scenario lines, want the whole catalogue from P1.1:\n%s", what, n, out)
	}
}

// run runs a command with extra environment variables and returns its
// stdout; a failure fails the test.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	return runIn(t, "", env, name, args...)
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("%s %s: %s", name, strings.Join(args, " "), d.Round(100*time.Millisecond))
	}
	return stdout.String()
}

// checkImage builds refreshspec/refreshspec with make image and runs its CLI
// and its fake backend, published on 127.0.0.1 only.
func checkImage(t *testing.T, d distribution) {
	requireDocker(t)
	tag := "distcheck-" + rand.Text()[:10]
	image := "refreshspec/refreshspec:" + strings.ToLower(tag)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := makeCmd(ctx, d.dir, "image")
	cmd.Env = append(cmd.Env, "IMAGE_TAG="+strings.ToLower(tag))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	t.Logf("make image: %s", time.Since(start).Round(100*time.Millisecond))

	checkVersion(t, "docker run "+image+" version", run(t, nil, "docker", "run", "--rm", image, "version"))
	checkList(t, "docker run "+image+" list", run(t, nil, "docker", "run", "--rm", image, "list"))

	// The fake backend, as the Dockerfile's comment says to start it.
	name := "refreshspec-distcheck-" + strings.ToLower(rand.Text()[:10])
	fb := exec.CommandContext(ctx, "docker", "run", "--rm", "--name", name, "--entrypoint", "/fakebackend",
		"-p", "127.0.0.1::8080", image, "--addr=0.0.0.0:8080", "--control-addr=0.0.0.0:8081", "--allow-remote-control")
	ready := &lineWatch{prefix: "control: ", seen: make(chan struct{})}
	var stderr bytes.Buffer
	fb.Stdout, fb.Stderr = ready, &stderr
	if err := fb.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { fb.Wait(); close(exited) }()
	t.Cleanup(func() {
		exec.Command("docker", "rm", "-f", name).Run()
		<-exited
	})
	// It prints "control: <url>" once both of its listeners listen.
	select {
	case <-ready.seen:
	case <-exited:
		t.Fatalf("the image's fake backend ended before it listened:\n%s", stderr.String())
	case <-ctx.Done():
		t.Fatalf("the image's fake backend did not listen: %v\n%s", ctx.Err(), stderr.String())
	}
	addr := strings.TrimSpace(run(t, nil, "docker", "port", name, "8080/tcp"))
	addr, _, _ = strings.Cut(addr, "\n")
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("docker port %s 8080/tcp: %q, want a port on 127.0.0.1", name, addr)
	}
	checkFakeBackend(t, "http://"+addr)
}

// lineWatch is the stdout of a process: it closes seen once a line that
// begins with prefix is written, and drops the rest.
type lineWatch struct {
	prefix string
	seen   chan struct{}
	buf    []byte
	done   bool
}

func (w *lineWatch) Write(p []byte) (int, error) {
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		line, rest, ok := bytes.Cut(w.buf, []byte("\n"))
		if !ok {
			return len(p), nil
		}
		w.buf = rest
		if bytes.HasPrefix(line, []byte(w.prefix)) {
			w.done, w.buf = true, nil
			close(w.seen)
			return len(p), nil
		}
	}
}

// checkFakeBackend logs in as the fake backend's default user (contract.md
// §1) and fetches the user with the access token it got.
func checkFakeBackend(t *testing.T, base string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(base+"/auth/login", "application/json", strings.NewReader(`{"email":"alice@example.com","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var login struct {
		Success bool `json:"success"`
		Data    struct {
			Authorization struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
			} `json:"authorization"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &login) != nil || !login.Success || login.Data.Authorization.AccessToken == "" ||
		login.Data.Authorization.TokenType != "Bearer" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("POST %s/auth/login: %d, Cache-Control %q, %s; want 200, no-store and tokens", base, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/user/me", nil)
	req.Header.Set("Authorization", "Bearer "+login.Data.Authorization.AccessToken)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"firstName":"Alice"`) {
		t.Errorf("GET %s/api/user/me with the token: %d %s, want 200 with Alice", base, resp.StatusCode, body)
	}
}

// requireDocker skips the test without a Docker engine, or fails it under
// REFRESHSPEC_REQUIRE_DOCKER=1 (CI), as the container tests do.
func requireDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	reason := ""
	if _, err := exec.LookPath("docker"); err != nil {
		reason = "docker not found"
	} else if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		reason = fmt.Sprintf("no Docker engine answers (docker version: %v: %s)", err, bytes.TrimSpace(out))
	} else if host := os.Getenv("DOCKER_HOST"); host != "" && !strings.HasPrefix(host, "unix://") {
		reason = "DOCKER_HOST is " + host + ": the image's ports must be published on this machine's 127.0.0.1"
	}
	if reason == "" {
		return
	}
	if os.Getenv("REFRESHSPEC_REQUIRE_DOCKER") == "1" {
		t.Fatal(reason + " (REFRESHSPEC_REQUIRE_DOCKER=1)")
	}
	t.Skip(reason + ": the image checks need a Docker engine; start dockerd (bash .ci/run does), or set REFRESHSPEC_REQUIRE_DOCKER=1 to make this a failure")
}

// checkNpm installs the tarballs into an empty project and runs
// `npx refreshspec` there: the platform binary, then a binary of one's own
// (REFRESHSPEC_BINARY) through which the launcher's handling of arguments,
// stdin, the exit status and signals shows, then no binary at all.
func checkNpm(t *testing.T, d distribution) {
	requireNpm(t)
	project := t.TempDir()
	if err := os.WriteFile(filepath.Join(project, "package.json"), []byte(`{"name":"distcheck-project","private":true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runIn(t, project, npmEnv, "npm", append([]string{"install", "--offline", "--no-audit", "--no-fund"}, tarballs(t, d)...)...)

	checkList(t, "npx refreshspec list", runIn(t, project, npmEnv, "npx", "--no", "refreshspec", "list"))
	checkVersion(t, "npx refreshspec version", runIn(t, project, npmEnv, "npx", "--no", "refreshspec", "version"))

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash not found: the stand-in binary is a bash script")
	}
	stub := filepath.Join(t.TempDir(), "stand-in")
	script := "#!" + bash + "\ntrap 'echo got TERM; exit 7' TERM\necho \"args: $#: $*\"\nread -r line\necho \"read: $line\"\nexit 3\n"
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	own := append(slices.Clone(npmEnv), "REFRESHSPEC_BINARY="+stub)

	// Arguments, stdin, stdout and the exit status pass through.
	cmd := exec.Command("npx", "--no", "refreshspec", "proxy", "--focus", "P2 P3")
	cmd.Dir, cmd.Env = project, append(os.Environ(), own...)
	cmd.Stdin = strings.NewReader("hello\n")
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || string(out) != "args: 3: proxy --focus P2 P3\nread: hello\n" {
		t.Errorf("npx refreshspec with REFRESHSPEC_BINARY=stand-in: %v, stdout %q; want exit 3 and the arguments and stdin echoed", err, out)
	}

	// A SIGTERM to the launcher reaches the binary, whose exit status comes back.
	launcher := filepath.Join(project, "node_modules", ".bin", "refreshspec")
	cmd = exec.Command(launcher, "x")
	cmd.Env = append(os.Environ(), own...)
	stdin, _ := cmd.StdinPipe() // held open: the stand-in waits on it
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "args: 1: x" {
		t.Fatalf("the stand-in did not start: %q", sc.Text())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(stdout)
	err = cmd.Wait()
	stdin.Close()
	if !errors.As(err, &exit) || exit.ExitCode() != 7 || string(rest) != "got TERM\n" {
		t.Errorf("SIGTERM to the launcher: %v, stdout %q; want the binary to get it and exit 7", err, rest)
	}

	// No such binary, then no platform package: exit 2, saying what to do.
	expectLauncherError(t, project, append(slices.Clone(npmEnv), "REFRESHSPEC_BINARY="+filepath.Join(project, "nowhere")), "REFRESHSPEC_BINARY is ")
	pkg := filepath.Join(project, "node_modules", "@refreshspec", "cli-"+nodePlatform)
	if err := os.Rename(pkg, pkg+".away"); err != nil {
		t.Fatal(err)
	}
	expectLauncherError(t, project, npmEnv, "@refreshspec/cli-"+nodePlatform+" is not installed", "REFRESHSPEC_BINARY")
}

// expectLauncherError runs the launcher itself, which must exit 2 saying
// what is missing and what to do.
func expectLauncherError(t *testing.T, project string, env []string, want ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(project, "node_modules", ".bin", "refreshspec"), "list")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("refreshspec list with %v: %v, want exit 2\n%s", env[len(env)-1], err, stderr.String())
	}
	for _, w := range want {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("refreshspec list with %v: stderr %q does not say %q", env[len(env)-1], stderr.String(), w)
		}
	}
}
