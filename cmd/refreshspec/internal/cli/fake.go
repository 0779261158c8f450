package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/refreshspec/refreshspec/dialect"
	fbcontainer "github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/target"
)

// The fake backend's kinds (--backend).
const (
	backendContainer = "container"
	backendLocal     = "local"
)

// backendAlias is the fake backend container's name on the Docker network it
// shares with a --target-image target.
const backendAlias = "fakebackend"

// fakeOptions say how to start the fake backend.
type fakeOptions struct {
	kind  string // backendContainer or backendLocal
	image string // --backend-image; empty means the refreshspec binary itself
	// apiAddr and controlAddr are fixed loopback addresses to listen on (a
	// container's ports are published there); empty means free ports.
	apiAddr, controlAddr string
	// users seed the backend; nil means its default users (Alice).
	users []fakebackend.User
	// mapping is the dialect it speaks: the profile's backend section's
	// wire format (its url is the B suite's: the fake backend always runs
	// on an address of its own).
	mapping dialect.Mapping
	log     io.Writer // the backend's log; nil discards it
	stderr  io.Writer // progress notes for the user
}

// fake is a running fake backend.
type fake struct {
	URL, ControlURL string // as this machine reaches them
	// InnerURL is the API's URL from a container on Network.
	InnerURL string
	Network  *testcontainers.DockerNetwork
	Control  *control.Client
	close    func(context.Context) error
}

// Close stops the backend (and removes its network).
func (f *fake) Close(ctx context.Context) error { return f.close(ctx) }

// checkBackendKind checks --backend, and that --backend-image (image) is
// given only where it is used: a local backend runs in this process, and an
// image the user named but the run ignored would test something else than
// they think.
func checkBackendKind(kind, image string) error {
	if kind != backendContainer && kind != backendLocal {
		return usagef("--backend: %q is not one of container, local", kind)
	}
	if image != "" && kind != backendContainer {
		return usagef("--backend-image %s needs --backend container: a --backend %s fake backend runs in this process", image, kind)
	}
	return nil
}

// checkLoopbackAddr checks a --backend-addr style flag: host:port on this
// machine's loopback, since the fake backend hands out tokens and its control
// API can break it.
func checkLoopbackAddr(flagName, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--%s: %q is not host:port: %v", flagName, addr, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return usagef("--%s: %q has no valid port", flagName, addr)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return usagef("--%s: %q is not a loopback address (127.0.0.1:PORT): the fake backend only listens where this machine alone reaches it", flagName, addr)
	}
	return nil
}

// fakeUsers are the users to seed the fake backend with so that the suite
// can log in with the profile's credentials: its default users, with the
// profile's user added (or, for a default user's email, its password and
// first name changed). nil when the credentials are a default user's as is,
// so that the backend starts exactly as its defaults say.
func fakeUsers(c profile.Credentials) []fakebackend.User {
	users := fakebackend.DefaultUsers()
	for i, u := range users {
		if strings.EqualFold(u.Email, c.Email) {
			if u.Password == c.Password && u.FirstName == c.FirstName {
				return nil
			}
			users[i].Password, users[i].FirstName = c.Password, c.FirstName
			return users
		}
	}
	return append(users, fakebackend.User{
		ID: fmt.Sprintf("u-%d", len(users)+1), Email: c.Email, Password: c.Password,
		FirstName: c.FirstName, LastName: "Tester",
	})
}

// checkFakeMapping refuses a profile's backend mapping that the fake
// backend cannot serve. Commands call it while they check their input, so
// that the refusal comes before anything starts or says it does.
func checkFakeMapping(m dialect.Mapping) error {
	if err := fakebackend.CheckMapping(m); err != nil {
		return usagef("--profile: the fake backend cannot speak the profile's backend dialect: %v", dialect.Under("backend", err))
	}
	return nil
}

// startFake starts the fake backend; o.mapping has passed checkFakeMapping.
func startFake(ctx context.Context, o fakeOptions) (*fake, error) {
	if o.log == nil {
		// testcontainers logs every step by default; -v shows it.
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	if o.kind == backendLocal {
		return startLocalFake(ctx, o)
	}
	return startContainerFake(ctx, o)
}

func startLocalFake(ctx context.Context, o fakeOptions) (*fake, error) {
	cfg := fakebackend.Config{Users: o.users, Mapping: o.mapping}
	if o.log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(o.log, nil))
	}
	r, err := fakebackend.Start(ctx, cfg, fakebackend.StartOptions{APIAddr: o.apiAddr, ControlAddr: o.controlAddr})
	if err != nil {
		return nil, setupf("--backend local: %v", err)
	}
	return &fake{URL: r.URL, ControlURL: r.ControlURL, Control: r.Control, close: r.Close}, nil
}

func startContainerFake(ctx context.Context, o fakeOptions) (*fake, error) {
	localDockerDefaults()
	if err := fbcontainer.DockerAvailable(ctx); err != nil {
		return nil, setupf("no Docker engine reachable for --backend container; start Docker or use --backend local (%v)", err)
	}
	image, cleanup, err := fakeImage(ctx, o)
	if err != nil {
		return nil, err
	}
	opts := []testcontainers.ContainerCustomizer{image, fbcontainer.WithMapping(o.mapping)}
	if o.users != nil {
		raw, err := json.Marshal(o.users)
		if err != nil {
			cleanup()
			return nil, setupf("--backend container: users: %v", err)
		}
		opts = append(opts, fbcontainer.WithArgs("--users-json="+string(raw)))
	}
	if o.apiAddr != "" {
		opts = append(opts, publishOn(o.apiAddr, o.controlAddr))
	}
	if o.log != nil {
		opts = append(opts, testcontainers.WithLogConsumers(logTo{o.log}))
	}
	// A network of its own: a target container reaches the backend there by
	// name, and it does not depend on Docker's default bridge (docker0),
	// which some engines run without.
	nw, err := tcnetwork.New(ctx)
	if err != nil {
		cleanup()
		return nil, setupf("--backend container: create a Docker network: %v", err)
	}
	opts = append(opts, tcnetwork.WithNetwork([]string{backendAlias}, nw))
	removeNetwork := func(ctx context.Context) error { return nw.Remove(ctx) }
	c, err := fbcontainer.Run(ctx, opts...)
	cleanup()
	if err != nil {
		if c != nil {
			_ = c.Terminate(context.WithoutCancel(ctx))
		}
		_ = removeNetwork(context.WithoutCancel(ctx))
		return nil, setupf("--backend container: %v", err)
	}
	f := &fake{Network: nw, close: func(ctx context.Context) error {
		return errors.Join(c.Terminate(ctx), removeNetwork(ctx))
	}}
	if f.URL, err = c.URL(ctx); err == nil {
		f.ControlURL, err = c.ControlURL(ctx)
	}
	if err != nil {
		_ = f.close(context.WithoutCancel(ctx))
		return nil, setupf("--backend container: %v", err)
	}
	f.Control = control.New(f.ControlURL, nil)
	f.InnerURL = "http://" + backendAlias + ":8080"
	return f, nil
}

// localDockerDefaults keeps testcontainers to this machine unless the user
// configured it otherwise: no reaper container (Ryuk would be pulled from a
// registry; refreshspec terminates its containers itself), and, for a local
// engine, published ports reached on 127.0.0.1 (inside a dev container
// testcontainers would otherwise pick the bridge's gateway address).
func localDockerDefaults() {
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	host := os.Getenv("DOCKER_HOST")
	if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !set && (host == "" || strings.HasPrefix(host, "unix://")) {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// fakeImage chooses what the fake backend container runs: --backend-image;
// else this very binary, when it is static (its hidden "fakebackend --serve"
// mode serves the backend); else, inside the refreshspec source tree, a
// static fake backend built with the go command (`go run` builds a dynamic
// binary where cgo is on). cleanup removes what it built.
func fakeImage(ctx context.Context, o fakeOptions) (opt testcontainers.ContainerCustomizer, cleanup func(), err error) {
	noop := func() {}
	if o.image != "" {
		if err := target.LocalImage(ctx, o.image); err != nil {
			return nil, noop, setupf("--backend-image: %v", err)
		}
		return testcontainers.WithImage(o.image), noop, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, noop, setupf("--backend container: find the refreshspec binary: %v", err)
	}
	staticErr := fbcontainer.CheckStatic(exe)
	if staticErr == nil {
		entry := append([]string{"/" + filepath.Base(exe), "fakebackend", "--serve"}, fbcontainer.FakeBackendFlags...)
		return fbcontainer.WithStaticBinary(exe, entry...), noop, nil
	}
	if inSourceTree(ctx) {
		dir, err := os.MkdirTemp("", "refreshspec-fakebackend-")
		if err != nil {
			return nil, noop, setupf("--backend container: %v", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
		fmt.Fprintf(o.stderr, "refreshspec: this binary is not static (%v); building a static fake backend with the go command\n", staticErr)
		bin, err := fbcontainer.BuildBinary(ctx, dir)
		if err != nil {
			cleanup()
			return nil, noop, setupf("--backend container: %v", err)
		}
		return fbcontainer.WithStaticBinary(bin), cleanup, nil
	}
	return nil, noop, setupf("--backend container needs a static refreshspec binary to serve the fake backend in a container, and %v.\n"+
		"Fix: CGO_ENABLED=0 go install github.com/refreshspec/refreshspec/cmd/refreshspec@latest, "+
		"or use --backend local, or --backend-image %s after `make images`", staticErr, fbcontainer.DefaultImage)
}

// inSourceTree reports whether the go command is here and the working
// directory is inside the refreshspec module, so BuildBinary can work.
func inSourceTree(ctx context.Context) bool {
	if _, err := exec.LookPath("go"); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-m").Output()
	return err == nil && strings.TrimSpace(string(out)) == "github.com/refreshspec/refreshspec"
}

// publishOn publishes the container's two ports on fixed loopback addresses,
// for a target already running that was pointed at them.
func publishOn(apiAddr, controlAddr string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		for port, addr := range map[string]string{fbcontainer.APIPort: apiAddr, fbcontainer.ControlPort: controlAddr} {
			host, p, _ := net.SplitHostPort(addr)
			ip, err := netip.ParseAddr(host)
			if err != nil {
				ip = netip.MustParseAddr("127.0.0.1")
			}
			hc.PortBindings[network.MustParsePort(port)] = []network.PortBinding{{HostIP: ip, HostPort: p}}
		}
	})
}

type logTo struct{ w io.Writer }

func (l logTo) Accept(log testcontainers.Log) { _, _ = l.w.Write(log.Content) }
