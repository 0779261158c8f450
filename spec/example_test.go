package spec_test

import (
	"testing"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec"
	"github.com/refreshspec/refreshspec/spec/target"
)

// A plain go test function runs the whole proxy suite against an app and a
// fake backend that run already. In the team's own _test.go file the
// function is a test of its own, such as
// func TestConformance(t *testing.T), in a package without other Ginkgo
// suites: Ginkgo runs one suite per process.
func ExampleTestProxy() {
	testConformance := func(t *testing.T) {
		spec.TestProxy(t, &spec.ProxyConfig{
			Target:     target.URL("http://127.0.0.1:3000"),
			Backend:    control.New("http://127.0.0.1:9091", nil),
			BackendURL: "http://127.0.0.1:9090",
			Strict:     true,
		})
	}
	_ = testConformance
}

// The backend suite the same way, against the team's own backend, with the
// default profile (contract.md §1's JSON dialect and credentials).
func ExampleTestBackend() {
	testBackend := func(t *testing.T) {
		spec.TestBackend(t, &spec.BackendConfig{URL: "http://127.0.0.1:8000"})
	}
	_ = testBackend
}
