package backendsuite_test

import (
	"os"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
)

// A team checks its own backend's /auth routes from its Ginkgo suite: the
// profile says the dialect, paths, field names and credentials, and the
// specs reach the backend over HTTP only. Without a fake backend's control
// API the checks that need a token to expire wait for the profile's
// short_access_ttl, or are skipped with the reason.
func ExampleRegister() {
	cfg := &backendsuite.Config{URL: "http://127.0.0.1:8000"}
	backendsuite.Register(cfg)

	ginkgo.BeforeSuite(func() {
		var err error
		cfg.Profile, err = profile.Load("refreshspec.yaml")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		cfg.Profile.Credentials.Password = os.Getenv("QA_PASSWORD")
	})
}
