package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/suitetest"
	"github.com/refreshspec/refreshspec/spec/browsersuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// The variables this test reads.
const (
	// envMutant names the reference's mutant (internal/reference/mutants) for one
	// run; TestBrowserMutants sets it when it re-runs the suite.
	envMutant = suitetest.EnvMutant
	// envBackend is "local" to serve the fake backend in this process
	// instead of in a container.
	envBackend = suitetest.EnvBackend
	// envRequireBrowser=1 turns a missing Chromium from a skip into a failure.
	envRequireBrowser = "REFRESHSPEC_REQUIRE_BROWSER"
)

// cfg is filled in BeforeSuite; the specs read it when they run.
var cfg = &browsersuite.Config{Proxy: &proxysuite.Config{}}

var _ = browsersuite.Register(cfg)

func TestBrowserSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser suite runs Chromium")
	}
	requireChromium(t)
	RegisterFailHandler(Fail)
	RunSpecs(t, "refreshspec browser suite (W) against the reference")
}

// requireChromium skips the test when no Chromium is found, or fails it when
// REFRESHSPEC_REQUIRE_BROWSER=1; the specs would skip themselves, but a
// whole test that did nothing should say so at the top.
func requireChromium(t *testing.T) {
	t.Helper()
	_, err := browsersuite.FindChromium("")
	switch {
	case err == nil:
	case os.Getenv(envRequireBrowser) == "1":
		t.Fatalf("%v (%s=1 requires a browser)", err, envRequireBrowser)
	case errors.Is(err, browsersuite.ErrChromiumNotFound):
		t.Skipf("skipped: %v; or set %s=1 to make this a failure", err, envRequireBrowser)
	default:
		t.Fatal(err)
	}
}

var _ = BeforeSuite(func(ctx SpecContext) {
	backendURL, ctl := startBackend(ctx)
	cfg.Proxy.Control = ctl
	cfg.Proxy.BackendURL = backendURL

	// The fake backend serves the mapping suitetest.EnvDialect names, and
	// the reference speaks it.
	_, mapping, err := suitetest.DialectFromEnv()
	Expect(err).NotTo(HaveOccurred())
	cfg.Proxy.BackendMapping = mapping
	env, err := suitetest.MappingEnv(mapping, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	env[target.EnvBackendURL] = backendURL
	env[target.EnvCookieSecure] = "false" // the browser talks plain http on loopback

	bin, err := suitetest.ReferenceBinary(ctx, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	tgt, err := target.StartProcess(ctx, target.ProcessOptions{
		Command:      suitetest.ShellQuote(bin),
		Env:          env,
		ReadyPath:    "/login",
		StartTimeout: 30 * time.Second,
		Output:       GinkgoWriter,
	})
	Expect(err).NotTo(HaveOccurred(), "starting the reference proxy")
	DeferCleanup(tgt.Stop)
	cfg.Proxy.Target = tgt
}, NodeTimeout(5*time.Minute))

// startBackend starts the fake backend, in a container unless
// REFRESHSPEC_BACKEND=local, and returns its API URL and control client.
func startBackend(ctx context.Context) (string, *control.Client) {
	if os.Getenv(envBackend) != "local" {
		if err := container.DockerAvailable(ctx); err != nil {
			if os.Getenv(container.RequireDockerEnv) == "1" {
				Fail(fmt.Sprintf("no Docker engine, and %s=1 requires one: %v", container.RequireDockerEnv, err))
			}
			Skip(fmt.Sprintf("no Docker engine for the fake backend container (%v); set %s=local to run it in this process", err, envBackend))
		}
	}
	b, err := suitetest.StartBackend(ctx)
	Expect(err).NotTo(HaveOccurred(), "the fake backend")
	DeferCleanup(b.Close)
	return b.URL, b.Control
}
