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

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/internal/mutant"
	"github.com/refreshspec/refreshspec/internal/redisserver"
	"github.com/refreshspec/refreshspec/internal/suitetest"
)

// envMutantParallel sets how many mutant runs go at once (default 2: a
// child mostly waits, on timeouts and held refreshes, so two at a time take
// 230 s where one at a time took 320 s on two cores). With more than one,
// each child serves its own fake backend in its process, since every spec
// resets the backend it uses; with 1 they share one, the suite's default
// (a container).
const envMutantParallel = "REFRESHSPEC_MUTANT_PARALLEL"

// mutantTimeout bounds one child run of the P suite, its build apart.
const mutantTimeout = 3 * time.Minute

// buildsAhead is how many mutant builds run at once, ahead of the child
// runs that wait for them.
const buildsAhead = 2

// mutantDialects are the mappings every mutant runs in: contract.md §1, and
// an OAuth 2.0 server, where login, refresh, logout and their refusals take
// other routes, bodies and statuses.
var mutantDialects = []string{suitetest.DialectJSON, suitetest.DialectOAuth2}

type mutantResult struct {
	name, id string
	dialect  string
	failed   []string // IDs of the specs that failed
	took     time.Duration
	problem  string // the child could not be run or read
	caught   bool
}

// TestMutants runs TestProxySuite again, in a child process (a Ginkgo suite
// runs once per process), against each mutant of the reference whose
// scenario is a P one (internal/reference/mutants), and checks that this scenario
// failed: a suite that passes a broken target has a hole. Each mutant runs
// in every mapping of mutantDialects, the fake backend serving it and the
// mutant speaking it, since a check that holds only for contract.md §1's
// routes and statuses has a hole too.
//
// A child runs only the spec of that scenario (-ginkgo.focus), with what
// runs around every spec: the fake backend's reset before it and the leak
// scan of P8.4 after it. The test asserts no more than that this scenario
// fails, and a spec's verdict does not depend on the others: each resets
// the fake backend and opens its own sessions, and P8.4, which also sums up
// the scans after the specs before it, drives a session through every route
// of its own. The rest of the suite would only add failures that prove
// nothing more, and time: a focused child takes a few tenths of a second
// (P6.2's waits out the proxy's backend timeout, P7.1's its 2 s stragglers)
// where the whole suite takes six, so each mutant added costs about its
// build. The builds run ahead
// of the children, buildsAhead at a time, and are most of the test's time.
// Each mutant is a subtest and each mapping one under it
// (TestMutants/retry-loop/oauth2): -run 'TestMutants/^retry-loop$' builds
// and runs that mutant alone.
func TestMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it builds and runs every mutant of the reference")
	}
	if os.Getenv(envMutant) != "" {
		t.Skip("this process is itself a mutant run")
	}
	// The subtests outlive this function (they are parallel): the context
	// ends with the test, not with the function.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	start := time.Now()

	root, mutants, err := suitetest.Mutants(ctx, "P")
	if err != nil {
		t.Fatal(err)
	}
	parallel := 2
	if v := os.Getenv(envMutantParallel); v != "" {
		if parallel, err = strconv.Atoi(v); err != nil || parallel < 1 {
			t.Fatalf("%s=%q: want a positive number", envMutantParallel, v)
		}
	}

	// Each mutant is a subtest, TestMutants/<mutant>/<mapping>, so that
	// -run 'TestMutants/<mutant>' runs one. A selected subtest registers
	// itself and pauses (t.Parallel) until this function returns; by then
	// the builds of the selected mutants, and nothing else, have started.
	var (
		mu       sync.Mutex
		selected []*mutant.Mutant
		results  []mutantResult
		builds   *mutant.Builds
		envs     = map[string][]string{}
		redisURL string
	)
	sem := make(chan struct{}, parallel)
	for _, m := range mutants {
		t.Run(m.Name, func(t *testing.T) {
			mu.Lock()
			selected = append(selected, m)
			mu.Unlock()
			t.Parallel()
			if needsInstances(m) && redisURL == "" {
				t.Skip("the P7.4 mutants need redis-server")
			}
			for _, d := range mutantDialects {
				t.Run(d, func(t *testing.T) {
					sem <- struct{}{}
					r := runMutant(ctx, m, builds, append(slices.Clone(envs[d]), instancesEnv(m, redisURL)...))
					<-sem
					r.dialect = d
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
					switch {
					case r.problem != "":
						t.Errorf("mutant %s (%s): %s", r.name, r.dialect, r.problem)
					case !r.caught:
						t.Errorf("mutant %s was not caught in the %s mapping: %s should have failed, but the failed specs were %v", r.name, r.dialect, r.id, r.failed)
					}
				})
			}
		})
	}
	if len(selected) == 0 {
		return
	}
	builds = mutant.Prebuild(ctx, root, mutant.ReferenceCommand, selected, t.TempDir(), buildsAhead)
	for _, d := range mutantDialects {
		envs[d] = []string{suitetest.EnvDialect + "=" + d}
		if parallel > 1 {
			envs[d] = append(envs[d], envBackend+"=local", envBackendURL+"=", envControlURL+"=")
		} else {
			envs[d] = append(envs[d], sharedBackend(ctx, t, d)...)
		}
	}
	if slices.ContainsFunc(selected, needsInstances) {
		redisURL = mutantRedis(ctx, t)
	}

	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		slices.SortFunc(results, func(a, b mutantResult) int {
			return strings.Compare(a.name+" "+a.dialect, b.name+" "+b.dialect)
		})
		var table strings.Builder
		fmt.Fprintf(&table, "%-34s %-7s %-6s %-7s %-8s %s\n", "mutant", "mapping", "expect", "caught", "took", "failed specs")
		for _, r := range results {
			fmt.Fprintf(&table, "%-34s %-7s %-6s %-7v %-8s %s\n", r.name, r.dialect, r.id, r.caught, r.took.Round(100*time.Millisecond), strings.Join(r.failed, " "))
		}
		t.Logf("%d mutants (%d at a time) in %s:\n%s", len(selected), parallel, time.Since(start).Round(time.Second), table.String())
	})
}

// sharedBackend starts one fake backend serving the named mapping for the
// sequential children and returns the environment that points them at it.
func sharedBackend(ctx context.Context, t *testing.T, dialect string) []string {
	t.Helper()
	if os.Getenv(envBackend) != "local" {
		container.RequireDocker(t)
	}
	m, err := suitetest.Mapping(dialect)
	if err != nil {
		t.Fatal(err)
	}
	b, err := suitetest.StartBackendSpeaking(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return []string{envBackendURL + "=" + b.URL, envControlURL + "=" + b.ControlURL}
}

// needsInstances says whether m's scenario needs several instances of the
// reference (P7.4), sharing a Redis.
func needsInstances(m *mutant.Mutant) bool { return m.Scenario == "P7.4" }

// instancesEnv is how many instances of the reference m's child starts: two
// sharing the Redis at redisURL for P7.4, else one, as the defect of any
// other scenario is judged (a Redis lock would hide a missing in-process
// lock from P7.1).
func instancesEnv(m *mutant.Mutant, redisURL string) []string {
	if needsInstances(m) {
		return []string{envInstances + "=2", envRedisURL + "=" + redisURL}
	}
	return []string{envInstances + "=1"}
}

// mutantRedis starts the redis-server that the instances of the P7.4
// children share. Without redis-server it returns "" and the P7.4 mutants
// are left out, unless REFRESHSPEC_REQUIRE_REDIS=1 makes that a failure.
func mutantRedis(ctx context.Context, t *testing.T) string {
	t.Helper()
	if err := redisserver.Available(); err != nil {
		if os.Getenv(redisserver.RequireEnv) == "1" {
			t.Fatalf("%v; %s=1 requires it", err, redisserver.RequireEnv)
		}
		t.Logf("the P7.4 mutants are left out: %v", err)
		return ""
	}
	rs, err := redisserver.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Stop() })
	return rs.URL()
}

// TestP74FailsWithoutASharedStore: the correct reference, two instances
// sharing a secret but no Redis, with the fake backend's grace window off:
// P7.4 must fail, since each instance refreshes on its own and the second
// refresh is reuse. (With the shared Redis, TestProxySuite passes it.)
func TestP74FailsWithoutASharedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it runs the suite once more, in a child process")
	}
	if os.Getenv(envMutant) != "" || os.Getenv(envInstances) != "" {
		t.Skip("this process is itself a child run")
	}
	if suitetest.UsesContainer() {
		container.RequireDocker(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), mutantTimeout)
	defer cancel()
	child := suitetest.Child{
		Test: "TestProxySuite",
		Env:  append(os.Environ(), envInstances+"=2", envRedisURL+"=off"),
		Args: []string{"-test.count=1", "-ginkgo.no-color", "-ginkgo.focus=" + suitetest.FocusScenario("P7.4")},
	}
	reports, out, err := child.Run(ctx)
	var failed []string
	if err == nil {
		failed, err = suitetest.FailedIDs(reports)
	}
	if err != nil {
		t.Fatalf("%v; the child's output ends:\n%s", err, tail(out, 40))
	}
	if !slices.Contains(failed, "P7.4") {
		t.Errorf("P7.4 passed two instances of the reference without a shared store; the failed specs were %v; the child's output ends:\n%s", failed, tail(out, 40))
	}
}

// runMutant re-runs TestProxySuite, focused on m's scenario, against m's
// binary once it is built, and reads which specs failed from the child's
// Ginkgo JSON report. took is the child's run, without the wait for the
// build.
func runMutant(ctx context.Context, m *mutant.Mutant, builds *mutant.Builds, env []string) mutantResult {
	res := mutantResult{name: m.Name, id: m.Scenario}
	// The build is waited for under the test's own deadline: on a loaded
	// machine it may take longer than the child's run is allowed.
	bin, err := builds.Wait(ctx, m)
	if err != nil {
		res.problem = err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, mutantTimeout)
	defer cancel()
	start := time.Now()
	child := suitetest.Child{
		Test: "TestProxySuite",
		Env:  append(append(os.Environ(), env...), envMutant+"="+m.Name, envReferenceBin+"="+bin),
		Args: []string{"-test.count=1", "-ginkgo.no-color", "-ginkgo.focus=" + suitetest.FocusScenario(m.Scenario)},
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
	res.caught = slices.Contains(failed, m.Scenario)
	if noise := formatNoise(reports); noise != "" {
		res.problem = "a failure message carries fmt's noise for a bad argument: " + noise
	}
	return res
}

// formatNoise is the first failure message of the reports in which fmt
// complained about an argument ("%!s(<nil>)", "%!d(string=...)",
// "%!v(MISSING)"): a message built from a nil pointer or the wrong value,
// which tells the user nothing. "" when there is none.
func formatNoise(reports []types.Report) string {
	for _, r := range reports {
		for _, s := range r.SpecReports {
			for _, msg := range []string{s.Failure.Message, s.CapturedGinkgoWriterOutput} {
				if i := strings.Index(msg, "%!"); i >= 0 {
					return fmt.Sprintf("%s: …%.200s", s.LeafNodeText, msg[max(0, i-100):])
				}
			}
		}
	}
	return ""
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
