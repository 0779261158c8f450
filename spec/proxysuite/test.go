package proxysuite

import (
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
)

// Test runs the proxy suite from a plain go test function, as
// kubernetes-csi's sanity.Test does: it registers the P specs, sets Gomega's
// fail handler and runs Ginkgo. Fill cfg in before the call: its Target and
// Control must be running (spec/target and fakebackend/container start
// them).
//
// Ginkgo runs one suite per process, so a test binary can call Test once,
// and not beside a Ginkgo suite of its own (RunSpecs): give it a package of
// its own. Ginkgo's flags (-ginkgo.focus, -ginkgo.v, -ginkgo.junit-report
// ...) work as for any Ginkgo suite; strict mode is cfg.Strict.
func Test(t *testing.T, cfg *Config) {
	t.Helper()
	Register(cfg)
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "refreshspec proxy suite")
}
