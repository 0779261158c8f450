package spec_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/internal/suitetest"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// envOneLiner names the one-liner a child process of this test binary runs:
// Ginkgo runs one suite per process, so each one-liner gets its own.
const envOneLiner = "REFRESHSPEC_ONE_LINER"

// TestOneLinerChild is the child's test: TestProxy or TestBackend against a
// target or backend that answers 503 to everything (but a proxy's login,
// so that the pre-flight passes), so every spec that gets as far as a check
// fails, fast; or, for "unmapped", TestProxy against a target whose login
// route is not where the profile says, which the pre-flight stops.
func TestOneLinerChild(t *testing.T) {
	which := os.Getenv(envOneLiner)
	if which == "" {
		t.Skip("runs in a child process of TestTestProxy and TestTestBackend")
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case which == "proxy" && r.Method == http.MethodPost && r.URL.Path == "/login":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "a-session-that-opens-nothing", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
			w.WriteHeader(http.StatusOK)
			return
		case which == "unmapped":
			http.NotFound(w, r) // its routes are elsewhere than the profile says
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"down"}`))
	}))
	defer down.Close()
	switch which {
	case "proxy", "unmapped":
		backend, err := fakebackend.Start(t.Context(), fakebackend.Config{}, fakebackend.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer backend.Close(context.Background())
		proxysuite.Test(t, &proxysuite.Config{
			Target: target.URL(down.URL), Control: backend.Control, BackendURL: backend.URL, RequestTimeout: 5 * time.Second,
		})
	case "backend":
		backendsuite.Test(t, &backendsuite.Config{BackendURL: down.URL, RequestTimeout: 5 * time.Second})
	default:
		t.Fatalf("%s=%q: want proxy or backend", envOneLiner, which)
	}
}

// TestTestProxy: proxysuite.Test runs every P scenario as a spec named by its
// ID, and a failed check says which scenario and level failed.
func TestTestProxy(t *testing.T) {
	checkOneLiner(t, "proxy", "P", "P2.2")
}

// TestTestProxyStopsAtThePreflight: when logging in with the profile's
// mapping fails, proxysuite.Test gives one diagnosis, not a failure of every
// scenario at its login: the first spec is aborted with the pre-flight's
// message, naming the step and the profile key, and the others do not run.
func TestTestProxyStopsAtThePreflight(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the suite in a child process")
	}
	reports, out := runOneLiner(t, "unmapped")
	var aborted, failed []string
	for _, r := range reports {
		for _, s := range r.SpecReports {
			switch {
			case s.LeafNodeType != types.NodeTypeIt:
			case s.State == types.SpecStateAborted:
				aborted = append(aborted, s.Failure.Message)
			case s.State.Is(types.SpecStateFailureStates):
				failed = append(failed, s.LeafNodeText)
			}
		}
	}
	if len(aborted) != 1 || len(failed) != 0 {
		t.Fatalf("aborted %q, failed %v; want one aborted spec and no failure\n%s", aborted, failed, out)
	}
	for _, want := range []string{"pre-flight", "POST /login", "404", "check proxy.login.path"} {
		if !strings.Contains(aborted[0], want) {
			t.Errorf("the pre-flight's diagnosis lacks %q:\n%s", want, aborted[0])
		}
	}
}

// TestTestBackend: backendsuite.Test does the same for every B scenario.
func TestTestBackend(t *testing.T) {
	checkOneLiner(t, "backend", "B", "B1.1")
}

// runOneLiner runs TestOneLinerChild for which in a child process and
// returns its Ginkgo reports and output.
func runOneLiner(t *testing.T, which string) ([]types.Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	child := suitetest.Child{
		Test: "TestOneLinerChild",
		Env:  append(os.Environ(), envOneLiner+"="+which),
		Args: []string{"-ginkgo.no-color"},
	}
	reports, out, err := child.Run(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return reports, out
}

func checkOneLiner(t *testing.T, which, letter, mustFail string) {
	if testing.Short() {
		t.Skip("-short: runs a whole suite in a child process")
	}
	reports, _ := runOneLiner(t, which)
	ran := map[string]types.SpecReport{}
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt {
				ran[suitetest.ScenarioID(s)] = s
			}
		}
	}
	for _, s := range catalogue.Suite(letter) {
		if _, ok := ran[s.ID]; !ok {
			t.Errorf("%s: no spec ran for %s", which, s.ID)
		}
	}
	r := ran[mustFail]
	prefix := mustFail + " (MUST): "
	if !r.State.Is(types.SpecStateFailed) || !strings.HasPrefix(r.Failure.Message, prefix) {
		t.Errorf("%s: %s %s with %q; want a failure whose message begins with %q", which, mustFail, r.State, r.Failure.Message, prefix)
	}
}
