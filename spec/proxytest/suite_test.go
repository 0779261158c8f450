package proxytest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/internal/suitetest"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// The variables this test reads.
const (
	// envBackend is "local" to serve the fake backend in this process
	// instead of in a container.
	envBackend = suitetest.EnvBackend
	// envBackendURL and envControlURL reuse a fake backend that is already
	// running (TestMutants passes its own to the children).
	envBackendURL = suitetest.EnvBackendURL
	envControlURL = suitetest.EnvControlURL
	// envMutant names the reference's mutant (reference/mutants) for one run.
	envMutant = suitetest.EnvMutant
	// envStrict=0 runs SHOULD scenarios non-strict; the default is strict,
	// because the reference must pass every MUST and SHOULD.
	envStrict = "REFRESHSPEC_STRICT"
	// envReferenceBin is a reference binary to start instead of building
	// one: TestMutants hands each child the mutant it built.
	envReferenceBin = suitetest.EnvReferenceBin
	// envAsURL=1 hands the specs the reference as a bare URL, as a target
	// the suite did not start: the scenarios that restart it skip or
	// measure less, and the rest must pass all the same.
	envAsURL = "REFRESHSPEC_TARGET_AS_URL"
)

// cfg is filled in BeforeSuite; the specs read it when they run.
var cfg = &proxysuite.Config{}

var _ = proxysuite.Register(cfg)

func TestProxySuite(t *testing.T) {
	if suitetest.UsesContainer() {
		container.RequireDocker(t)
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "refreshspec proxy suite (P) against the reference")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	backendURL, ctl := startBackend(ctx)
	prof := profile.Default()
	tgt, err := target.StartProcess(ctx, target.ProcessOptions{
		Command: suitetest.ShellQuote(referenceBinary(ctx)),
		Env: map[string]string{
			"BACKEND_URL":     backendURL,
			"COOKIE_SECURE":   "false", // the suite talks plain http on loopback
			"BACKEND_TIMEOUT": prof.Target.BackendTimeout.Std().String(),
		},
		EnvNames:     prof.Target.EnvNames,
		ReadyPath:    prof.Target.ReadyPath,
		StartTimeout: 30 * time.Second,
		Output:       GinkgoWriter,
	})
	Expect(err).NotTo(HaveOccurred(), "starting the reference proxy")
	DeferCleanup(tgt.Stop)

	cfg.Target = tgt
	if os.Getenv(envAsURL) == "1" {
		cfg.Target = target.URL(tgt.URL())
	}
	cfg.Backend = ctl
	cfg.BackendURL = backendURL
	cfg.Profile = prof
	cfg.Strict = os.Getenv(envStrict) != "0" && os.Getenv(envStrict) != "false"
	cfg.RequestTimeout = 15 * time.Second
}, NodeTimeout(5*time.Minute))

// The P specs' wall time, without the setup: the figure to keep under 20 s.
var _ = ReportAfterSuite("P suite wall time", func(r Report) {
	var first, last time.Time
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt || s.StartTime.IsZero() {
			continue
		}
		if first.IsZero() || s.StartTime.Before(first) {
			first = s.StartTime
		}
		if s.EndTime.After(last) {
			last = s.EndTime
		}
	}
	if !first.IsZero() && last.After(first) {
		fmt.Fprintf(os.Stderr, "refreshspec: the P specs took %s against the running reference\n", last.Sub(first).Round(time.Millisecond))
	}
})

// startBackend reuses the fake backend named by the environment, or starts
// one: in this process with REFRESHSPEC_BACKEND=local, else in a container.
func startBackend(ctx context.Context) (string, *control.Client) {
	b, err := suitetest.BackendFromEnv(ctx)
	Expect(err).NotTo(HaveOccurred(), "the fake backend")
	DeferCleanup(b.Close)
	if b.Kind == "reused" {
		Expect(b.Control.Healthy(ctx)).To(Succeed(), "the fake backend at %s", b.ControlURL)
	}
	return b.URL, b.Control
}

// referenceBinary is the reference to start: the correct one, or the mutant
// that the environment names (suitetest.ReferenceBinary).
func referenceBinary(ctx context.Context) string {
	bin, err := suitetest.ReferenceBinary(ctx, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	return bin
}
