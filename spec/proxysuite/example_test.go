package proxysuite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// A team's own Ginkgo suite registers the P specs beside its own specs, at
// package level as any Ginkgo container, and fills the config in
// BeforeSuite, once the fake backend and the app under test run. The specs
// read the config only when they run. It needs Docker and the app, so it is
// compiled but not run by go test.
func ExampleRegister() {
	cfg := &proxysuite.Config{Strict: true} // SHOULD failures fail the run too
	proxysuite.Register(cfg)

	ginkgo.BeforeSuite(func(ctx ginkgo.SpecContext) {
		backend, err := container.Run(ctx) // the image of `make images`
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) error { return backend.Terminate(ctx) })
		apiURL, err := backend.URL(ctx)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ctl, err := backend.Control(ctx)
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
		cfg.Control = ctl
		cfg.BackendURL = apiURL
	})
}

// Test runs the P specs from a plain go test function, in a package of its
// own since Ginkgo runs one suite per process. Here the app and its fake
// backend run already. It needs them, so it is compiled but not run by go
// test.
func ExampleTest() {
	// In the package's proxy_test.go:
	TestProxy := func(t *testing.T) {
		proxysuite.Test(t, &proxysuite.Config{
			Target:     target.URL("http://127.0.0.1:3000"),
			Control:    control.New("http://127.0.0.1:8081", nil),
			BackendURL: "http://127.0.0.1:8080",
			Strict:     true,
		})
	}
	_ = TestProxy
}

// Preflight logs in once before any spec runs, so that a profile that does
// not fit the app gives one diagnosis naming the key to check, not the same
// failure in every scenario. Here the app logs in at /session while the
// profile says /login.
func ExamplePreflight() {
	ctx := context.Background()
	backend, err := fakebackend.Start(ctx, fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer backend.Close(ctx)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {}) // never reached
	app := httptest.NewServer(mux)
	defer app.Close()

	err = proxysuite.Preflight(ctx, &proxysuite.Config{
		Target:     target.URL(app.URL),
		Control:    backend.Control, // or control.New(controlURL, nil) for a container
		BackendURL: backend.URL,
	})
	var pe *proxysuite.PreflightError
	if errors.As(err, &pe) {
		fmt.Println(pe.Step, pe.Status, pe.Key)
	}
	fmt.Println(err)
	// Output:
	// POST /login 404 proxy.login.path
	// pre-flight: logging in with the profile's mapping failed at POST /login: it answered 404 text/plain; charset=utf-8: 404 page not found
	//   cookies received: no cookie
	//   the fake backend saw: no POST /auth/login
	//   check proxy.login.path: the target has no such route
}
