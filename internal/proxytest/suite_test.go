package proxytest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/redisserver"
	"github.com/refreshspec/refreshspec/internal/suitetest"
	"github.com/refreshspec/refreshspec/profile"
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
	// envMutant names the reference's mutant (internal/reference/mutants) for one run.
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
	// envInstances is how many instances of the reference the suite starts
	// (default 2), sharing one SESSION_SECRET: P7.4 spreads a session over
	// them, every other scenario uses the first.
	envInstances = "REFRESHSPEC_INSTANCES"
	// envRedisURL is a running Redis the instances share as REDIS_URL
	// (TestMutants passes its own to the children); "off" runs them without
	// one, where P7.4 must fail. Unset, the suite starts a redis-server for
	// two instances or more, and without one runs a single instance (P7.4
	// skipped), unless REFRESHSPEC_REQUIRE_REDIS=1.
	envRedisURL = "REFRESHSPEC_REDIS_URL"
	// envProfile is a profile file the suite runs the reference with
	// instead of the default one: TestVariants hands a variant's
	// (its "Profile:" header) to its child.
	envProfile = "REFRESHSPEC_PROFILE"
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
	if file := os.Getenv(envProfile); file != "" {
		var err error
		prof, err = profile.Load(file)
		Expect(err).NotTo(HaveOccurred(), "%s=%s", envProfile, file)
	}
	bin := referenceBinary(ctx)
	n := instanceCount()
	// The fake backend serves the mapping suitetest.EnvDialect names; the
	// reference and the suite's own backend calls speak it.
	_, mapping, err := suitetest.DialectFromEnv()
	Expect(err).NotTo(HaveOccurred())
	env, err := suitetest.MappingEnv(mapping, GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	env["BACKEND_URL"] = backendURL
	env["SESSION_SECRET"] = target.RandomSecret() // one for all the instances
	env["COOKIE_SECURE"] = "false"                // the suite talks plain http on loopback
	env["BACKEND_TIMEOUT"] = prof.Target.BackendTimeout.Std().String()
	if n > 1 {
		if url := sharedRedis(ctx); url != "" {
			env["REDIS_URL"] = url
		} else if os.Getenv(envRedisURL) != "off" {
			n = 1
		}
	}
	var instances []target.Target
	for range n {
		tgt, err := target.StartProcess(ctx, target.ProcessOptions{
			Command:      suitetest.ShellQuote(bin),
			Env:          env,
			EnvNames:     prof.Target.EnvNames,
			ReadyPath:    prof.Target.ReadyPath,
			StartTimeout: 30 * time.Second,
			Output:       GinkgoWriter,
		})
		Expect(err).NotTo(HaveOccurred(), "starting the reference proxy")
		DeferCleanup(tgt.Stop)
		instances = append(instances, tgt)
		if os.Getenv(envAsURL) == "1" {
			instances[len(instances)-1] = target.URL(tgt.URL())
		}
	}

	cfg.Target = instances[0]
	cfg.Instances = instances
	cfg.Control = ctl
	cfg.BackendURL = backendURL
	cfg.BackendMapping = mapping
	cfg.Profile = prof
	cfg.Strict = os.Getenv(envStrict) != "0" && os.Getenv(envStrict) != "false"
	cfg.RequestTimeout = 15 * time.Second
}, NodeTimeout(5*time.Minute))

// instanceCount reads envInstances.
func instanceCount() int {
	v := os.Getenv(envInstances)
	if v == "" {
		return 2
	}
	n, err := strconv.Atoi(v)
	Expect(err == nil && n >= 1).To(BeTrue(), "%s=%q: want a number of instances, 1 or more", envInstances, v)
	return n
}

// sharedRedis is the REDIS_URL of the instances: the one envRedisURL names,
// or a redis-server started for the suite; "" for none ("off", or
// redis-server missing, which fails the suite only when it is required).
func sharedRedis(ctx context.Context) string {
	switch v := os.Getenv(envRedisURL); v {
	case "off":
		return ""
	case "":
	default:
		return v
	}
	if err := redisserver.Available(); err != nil {
		Expect(os.Getenv(redisserver.RequireEnv)).NotTo(Equal("1"), "%v; %s=1 requires it", err, redisserver.RequireEnv)
		fmt.Fprintf(GinkgoWriter, "refreshspec: %v: one instance of the reference, P7.4 skipped\n", err)
		return ""
	}
	rs, err := redisserver.Start(ctx)
	Expect(err).NotTo(HaveOccurred(), "starting redis-server for the reference's instances")
	DeferCleanup(rs.Stop)
	return rs.URL()
}

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
