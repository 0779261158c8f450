package spec

import (
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/spec/backendsuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
)

// TestProxy runs the proxy suite from a plain go test function, as
// kubernetes-csi's sanity.Test does: it registers the P specs, sets Gomega's
// fail handler and runs Ginkgo. Fill cfg in before the call: its Target and
// Backend must be running (spec/target and fakebackend/container start
// them).
//
// Ginkgo runs one suite per process, so a test binary can call TestProxy or
// TestBackend once, and not beside a Ginkgo suite of its own (RunSpecs): put
// each in its own package. Ginkgo's flags (-ginkgo.focus, -ginkgo.v,
// -ginkgo.junit-report ...) work as for any Ginkgo suite; strict mode is
// cfg.Strict.
func TestProxy(t *testing.T, cfg *ProxyConfig) {
	t.Helper()
	proxysuite.Register(cfg)
	run(t, "refreshspec proxy suite")
}

// TestBackend runs the backend suite from a plain go test function, as
// TestProxy runs the proxy suite, with the same limit: one suite per
// process. Fill cfg in before the call: its URL (or its profile's
// backend.url) names the backend under test.
func TestBackend(t *testing.T, cfg *BackendConfig) {
	t.Helper()
	backendsuite.Register(cfg)
	run(t, "refreshspec backend suite")
}

func run(t *testing.T, description string) {
	t.Helper()
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, description)
}
