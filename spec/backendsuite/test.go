package backendsuite

import (
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
)

// Test runs the backend suite from a plain go test function, as
// kubernetes-csi's sanity.Test does, with the same limit as
// proxysuite.Test: one suite per process. Fill cfg in before the call: its
// URL (or its profile's backend.url) names the backend under test.
func Test(t *testing.T, cfg *Config) {
	t.Helper()
	Register(cfg)
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "refreshspec backend suite")
}
