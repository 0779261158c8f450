package backendsuite_test

import (
	"os"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
)

// A team checks its own backend's /auth routes from its Ginkgo suite: the
// profile says the dialect, paths, field names and credentials, and the
// specs reach the backend over HTTP only. Without a fake backend's control
// API the checks that need a token to expire wait for the profile's
// short_access_ttl, or are skipped with the reason. It needs the backend, so
// it is compiled but not run by go test.
func ExampleRegister() {
	cfg := &backendsuite.Config{BackendURL: "http://127.0.0.1:8000"}
	backendsuite.Register(cfg)

	ginkgo.BeforeSuite(func() {
		var err error
		cfg.Profile, err = profile.Load("refreshspec.yaml")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		cfg.Profile.Credentials.Password = os.Getenv("QA_PASSWORD")
	})
}

// Test runs the B specs from a plain go test function, in a package of its
// own since Ginkgo runs one suite per process. With no BackendURL the
// profile's backend.url names the backend. It needs the backend, so it is
// compiled but not run by go test.
func ExampleTest() {
	// In the package's backend_test.go:
	TestBackend := func(t *testing.T) {
		p, err := profile.Load("refreshspec.yaml") // backend.url, dialect, paths, credentials
		if err != nil {
			t.Fatal(err)
		}
		p.Credentials.Password = os.Getenv("QA_PASSWORD")
		backendsuite.Test(t, &backendsuite.Config{
			Profile:        p,
			Strict:         true,            // SHOULD failures fail the run too
			RequestTimeout: 5 * time.Second, // a backend that hangs fails the scenario at hand
		})
	}
	_ = TestBackend
}
