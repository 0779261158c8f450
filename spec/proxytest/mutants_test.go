package proxytest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/spec/internal/suitetest"
)

// mutants are the reference's deliberate defects (REFERENCE_BREAK, built
// with -tags mutation), each with the P scenario that must catch it.
var mutants = []struct{ bug, id string }{
	{"signed-only-cookie", "P1.1"},
	{"signed-zlib-cookie", "P1.1"},
	{"no-httponly", "P1.2"},
	{"cookie-on-bad-login", "P1.3"},
	{"cookie-bloat", "P1.4"},
	{"no-retry-page", "P2.1"},
	{"no-retry", "P2.2"},
	{"body-dropped-on-retry", "P2.3"},
	{"old-token-on-retry", "P2.4"},
	{"retry-loop", "P3.1"},
	{"refresh-on-403", "P3.2"},
	{"tokens-not-saved", "P4.1"},
	{"refresh-token-not-saved", "P4.2"},
	{"session-kept-after-invalid-grant", "P5.1"},
	{"api-200-after-invalid-grant", "P5.2"},
	{"refresh-without-session", "P5.3"},
	{"login-self-redirect", "P5.4"},
	{"logout-on-5xx", "P6.1"},
	{"logout-on-drop", "P6.2"},
	{"malformed-overwrites", "P6.3"},
	{"logout-on-429", "P6.4"},
	{"no-refresh-lock", "P7.1"},
	{"shared-refresh-across-sessions", "P7.2"},
	{"tampered-cookie-500", "P8.1"},
	{"foreign-cookie-accepted", "P8.2"},
	{"no-key-rotation", "P8.3"},
	{"token-in-header", "P8.4"},
	{"no-backend-logout", "P8.5"},
}

// envMutantParallel sets how many mutant runs go at once (default 1: one
// after the other, sharing one fake backend). With more than one, each child
// serves its own fake backend in its process, since every spec resets the
// backend it uses.
const envMutantParallel = "REFRESHSPEC_MUTANT_PARALLEL"

// mutantTimeout bounds one child run of the P suite.
const mutantTimeout = 3 * time.Minute

type mutantResult struct {
	bug, id string
	failed  []string // IDs of the specs that failed
	took    time.Duration
	problem string // the child could not be run or read
	caught  bool
}

// TestMutants runs TestProxySuite again, in a child process (a Ginkgo suite
// runs once per process), against each broken reference, and checks that
// the scenario named for the defect failed.
func TestMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: each mutant re-runs the whole P suite")
	}
	if os.Getenv(envMutant) != "" {
		t.Skip("this process is itself a mutant run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()

	dir := t.TempDir()
	bin, err := suitetest.BuildReference(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	parallel := 1
	if v := os.Getenv(envMutantParallel); v != "" {
		if parallel, err = strconv.Atoi(v); err != nil || parallel < 1 {
			t.Fatalf("%s=%q: want a positive number", envMutantParallel, v)
		}
	}
	env := []string{envReferenceBin + "=" + bin}
	if parallel > 1 {
		env = append(env, envBackend+"=local", envBackendURL+"=", envControlURL+"=")
	} else {
		env = append(env, sharedBackend(ctx, t)...)
	}

	results := make([]mutantResult, len(mutants))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, m := range mutants {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = runMutant(ctx, m.bug, m.id, env)
		}()
	}
	wg.Wait()

	var table strings.Builder
	fmt.Fprintf(&table, "%-34s %-6s %-7s %-8s %s\n", "mutant", "expect", "caught", "took", "failed specs")
	for _, r := range results {
		fmt.Fprintf(&table, "%-34s %-6s %-7v %-8s %s\n", r.bug, r.id, r.caught, r.took.Round(100*time.Millisecond), strings.Join(r.failed, " "))
		switch {
		case r.problem != "":
			t.Errorf("mutant %s: %s", r.bug, r.problem)
		case !r.caught:
			t.Errorf("mutant %s was not caught: %s should have failed, but the failed specs were %v", r.bug, r.id, r.failed)
		}
	}
	t.Logf("mutants (%d at a time) in %s:\n%s", parallel, time.Since(start).Round(time.Second), table.String())
}

// sharedBackend starts one fake backend for the sequential children and
// returns the environment that points them at it.
func sharedBackend(ctx context.Context, t *testing.T) []string {
	t.Helper()
	if os.Getenv(envBackend) != "local" {
		container.RequireDocker(t)
	}
	b, err := suitetest.StartBackend(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return []string{envBackendURL + "=" + b.URL, envControlURL + "=" + b.ControlURL}
}

// runMutant re-runs TestProxySuite with REFRESHSPEC_MUTANT=bug and reads
// which specs failed from its Ginkgo JSON report.
func runMutant(ctx context.Context, bug, id string, env []string) mutantResult {
	res := mutantResult{bug: bug, id: id}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, mutantTimeout)
	defer cancel()
	child := suitetest.Child{
		Test: "TestProxySuite",
		Env:  append(append(os.Environ(), env...), envMutant+"="+bug),
		Args: []string{"-test.count=1", "-ginkgo.no-color"},
	}
	reports, out, err := child.Run(ctx)
	var failed []string
	if err == nil {
		failed, err = suitetest.FailedIDs(reports)
	}
	res.took = time.Since(start)
	if err != nil {
		res.problem = fmt.Sprintf("%v; the child's output ends:\n%s", err, tail(out, 40))
		return res
	}
	res.failed = failed
	res.caught = slices.Contains(failed, id)
	return res
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
