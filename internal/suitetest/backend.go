package suitetest

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// The variables that choose the fake backend, read alike by the three suite
// tests so that one setting serves a whole `go test ./spec/...` run.
const (
	// EnvBackend is "local" to serve the fake backend in the test's own
	// process instead of in a container.
	EnvBackend = "REFRESHSPEC_BACKEND"
	// EnvBackendURL and EnvControlURL reuse a fake backend that is already
	// running; the mutation tests hand their own to their children this way.
	EnvBackendURL = "REFRESHSPEC_BACKEND_URL"
	EnvControlURL = "REFRESHSPEC_CONTROL_URL"
	// EnvMutant names a mutant of the reference (a deliberate defect, the
	// patch internal/reference/mutants/<name>.patch) for one run of the proxy or
	// browser suite: the run starts the reference built with it.
	EnvMutant = "REFRESHSPEC_MUTANT"
)

// Backend is a fake backend a suite test uses.
type Backend struct {
	Kind       string // how it runs ("reused", "in-process", "container"), for the logs
	URL        string // base URL of its API, which the target under test calls
	ControlURL string // base URL of its control API
	Control    *control.Client

	close func(context.Context) error
}

// Close stops the backend if this process started it; a reused one is left
// running for whoever started it.
func (b *Backend) Close(ctx context.Context) error {
	if b.close == nil {
		return nil
	}
	return b.close(ctx)
}

// BackendFromEnv reuses the fake backend that EnvBackendURL and
// EnvControlURL name, or else starts one as StartBackend does, serving the
// mapping that EnvDialect names. Setting only one of the two URLs is an
// error rather than a silent fresh backend, because the caller meant to
// share one; a reused backend is taken to serve EnvDialect's mapping.
func BackendFromEnv(ctx context.Context) (*Backend, error) {
	u, cu := os.Getenv(EnvBackendURL), os.Getenv(EnvControlURL)
	if u == "" && cu == "" {
		return StartBackend(ctx)
	}
	if u == "" || cu == "" {
		return nil, fmt.Errorf("set both %s and %s to reuse a running fake backend", EnvBackendURL, EnvControlURL)
	}
	return &Backend{Kind: "reused", URL: u, ControlURL: cu, Control: control.New(cu, nil)}, nil
}

// UsesContainer says whether BackendFromEnv will start a container, so that
// a test can check for a Docker engine (and skip with the reason) before its
// suite begins.
func UsesContainer() bool {
	return os.Getenv(EnvBackend) != "local" && os.Getenv(EnvBackendURL) == "" && os.Getenv(EnvControlURL) == ""
}

// StartBackend starts a fake backend serving the mapping EnvDialect names:
// in this process when EnvBackend is "local", else in a container, from a
// static binary built for it (no image can be pulled). The caller checks for
// Docker first, since whether a missing engine skips or fails is the
// caller's to say, and calls Close when done.
func StartBackend(ctx context.Context) (*Backend, error) {
	_, m, err := DialectFromEnv()
	if err != nil {
		return nil, err
	}
	return StartBackendSpeaking(ctx, m)
}

// StartBackendSpeaking is StartBackend for a fake backend that serves the
// mapping m.
func StartBackendSpeaking(ctx context.Context, m dialect.Mapping) (*Backend, error) {
	if os.Getenv(EnvBackend) == "local" {
		r, err := fakebackend.Start(ctx, fakebackend.Config{Mapping: m}, fakebackend.StartOptions{})
		if err != nil {
			return nil, fmt.Errorf("starting the fake backend in this process: %w", err)
		}
		return &Backend{Kind: "in-process", URL: r.URL, ControlURL: r.ControlURL, Control: r.Control, close: r.Close}, nil
	}
	return startContainer(ctx, m)
}

// startContainer builds the fake backend into a directory of its own, which
// lives as long as the container: a suite's BeforeSuite may outlive the
// temporary directories of the node that started it.
func startContainer(ctx context.Context, m dialect.Mapping) (b *Backend, err error) {
	dir, err := os.MkdirTemp("", "refreshspec-fakebackend-")
	if err != nil {
		return nil, fmt.Errorf("building the fake backend: %w", err)
	}
	var c *container.Container
	stop := func(ctx context.Context) error {
		var err error
		if c != nil {
			err = c.Terminate(ctx)
		}
		return errors.Join(err, os.RemoveAll(dir))
	}
	defer func() {
		if err != nil {
			_ = stop(context.WithoutCancel(ctx))
		}
	}()
	bin, err := container.BuildBinary(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("building the fake backend: %w", err)
	}
	if c, err = container.Run(ctx, container.WithStaticBinary(bin), container.WithMapping(m)); err != nil {
		return nil, fmt.Errorf("starting the fake backend container: %w", err)
	}
	b = &Backend{Kind: "container", close: stop}
	if b.URL, err = c.URL(ctx); err != nil {
		return nil, err
	}
	if b.ControlURL, err = c.ControlURL(ctx); err != nil {
		return nil, err
	}
	b.Control = control.New(b.ControlURL, nil)
	return b, nil
}
