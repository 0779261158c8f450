package proxysuite_test

import (
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// A team's own Ginkgo suite registers the P specs beside its own specs, at
// package level as any Ginkgo container, and fills the config in
// BeforeSuite, once the fake backend and the app under test run. The specs
// read the config only when they run.
func ExampleRegister() {
	cfg := &proxysuite.Config{Strict: true} // SHOULD failures fail the run too
	proxysuite.Register(cfg)

	ginkgo.BeforeSuite(func(ctx ginkgo.SpecContext) {
		backend, err := container.Run(ctx) // the image of `make images`
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) error { return backend.Terminate(ctx) })
		apiURL, err := backend.URL(ctx)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		control, err := backend.Control(ctx)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())

		// The app gets BACKEND_URL, PORT, SESSION_SECRET and COOKIE_SECURE;
		// started by the suite, it can be restarted with other settings
		// (P1.2, P8.2, P8.3). target.URL("http://127.0.0.1:3000") reaches
		// one that runs already.
		app, err := target.StartProcess(ctx, target.ProcessOptions{
			Command:   "npm run start",
			Env:       map[string]string{target.EnvBackendURL: apiURL},
			ReadyPath: "/login",
		})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ginkgo.DeferCleanup(app.Stop)

		cfg.Target = app
		cfg.Backend = control
		cfg.BackendURL = apiURL
	})
}
