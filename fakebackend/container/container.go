package container

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

const (
	// DefaultImage is the image Run starts unless an option says otherwise;
	// `make images` builds it from fakebackend/Dockerfile.
	DefaultImage = "refreshspec/fakebackend:dev"

	// APIPort serves the backend API of contract.md §1.
	APIPort = "8080/tcp"
	// ControlPort serves the control API (fakebackend/control).
	ControlPort = "8081/tcp"

	// startupTimeout bounds the wait for both listeners. The binary starts in
	// milliseconds; the rest is Docker creating the container.
	startupTimeout = 60 * time.Second

	// apiReadyLine starts the line cmd/fakebackend prints when its API
	// listener is bound ("api: http://0.0.0.0:8080").
	apiReadyLine = "api: http://"
)

// The host address the ports are published on: only this machine can reach
// the fake backend, whose control API can revoke, expire and read every token.
var publishAddr = netip.MustParseAddr("127.0.0.1")

// Container is a running fake backend.
type Container struct {
	testcontainers.Container
}

// Run starts a fake backend container from DefaultImage and waits until its
// control API answers /healthz and its backend API answers at all. The
// caller's options come after the defaults, so they override them (for
// instance testcontainers.WithImage, WithStaticBinary, WithArgs).
//
// On error the container, if one was created, is returned too, so that the
// caller can terminate it (testcontainers.CleanupContainer).
func Run(ctx context.Context, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	moduleOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(APIPort, ControlPort),
		testcontainers.WithHostConfigModifier(publishOnLoopback),
		testcontainers.WithWaitStrategyAndDeadline(startupTimeout,
			wait.ForHTTP(control.PathHealth).WithPort(ControlPort),
			// The binary prints this line once the API listener is bound.
			// Probing the API with a request instead would leave entries
			// in the journal that specs read.
			wait.ForLog(apiReadyLine),
		),
		// Check the host before the wait strategies dial it: a host that
		// is not loopback fails here with the fix in the message, not after
		// a minute of timeouts.
		testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
			PostCreates: []testcontainers.ContainerHook{
				func(ctx context.Context, c testcontainers.Container) error {
					host, err := c.Host(ctx)
					if err != nil {
						return fmt.Errorf("docker host: %w", err)
					}
					return CheckLoopback(host)
				},
			},
		}),
	}

	ctr, err := testcontainers.Run(ctx, DefaultImage, append(moduleOpts, opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		return c, fmt.Errorf("run fake backend: %w", err)
	}
	return c, nil
}

// publishOnLoopback binds the exposed ports on the host's 127.0.0.1 instead of
// every interface; the host port stays ephemeral (testcontainers fills in "0").
func publishOnLoopback(hc *container.HostConfig) {
	if hc.PortBindings == nil {
		hc.PortBindings = network.PortMap{}
	}
	for _, p := range []string{APIPort, ControlPort} {
		port := network.MustParsePort(p)
		if len(hc.PortBindings[port]) == 0 {
			hc.PortBindings[port] = []network.PortBinding{{HostIP: publishAddr}}
		}
	}
}

// URL is the base URL of the backend API, such as "http://127.0.0.1:32768".
func (c *Container) URL(ctx context.Context) (string, error) {
	return c.endpoint(ctx, APIPort)
}

// ControlURL is the base URL of the control API.
func (c *Container) ControlURL(ctx context.Context) (string, error) {
	return c.endpoint(ctx, ControlPort)
}

// Control returns a client of the container's control API.
func (c *Container) Control(ctx context.Context) (*control.Client, error) {
	u, err := c.ControlURL(ctx)
	if err != nil {
		return nil, err
	}
	return control.New(u, nil), nil
}

func (c *Container) endpoint(ctx context.Context, port string) (string, error) {
	host, err := c.Host(ctx)
	if err != nil {
		return "", fmt.Errorf("fake backend %s: docker host: %w", port, err)
	}
	if err := CheckLoopback(host); err != nil {
		return "", fmt.Errorf("fake backend %s: %w", port, err)
	}
	mapped, err := c.MappedPort(ctx, port)
	if err != nil {
		return "", fmt.Errorf("fake backend %s: mapped port: %w", port, err)
	}
	// The ports are published on 127.0.0.1 only, so that is the address to
	// dial whichever loopback name the host was given ("localhost" may
	// resolve to ::1 first).
	return "http://" + net.JoinHostPort(publishAddr.String(), mapped.Port()), nil
}

// CheckLoopback returns an error unless host names this machine's loopback
// interface: "localhost" or an address in 127.0.0.0/8 or ::1.
//
// Why: testcontainers works out the address of published ports from the
// Docker host, and when it believes it runs inside a container (as on CI
// machines and dev containers) without TESTCONTAINERS_HOST_OVERRIDE it picks
// the bridge's gateway address, or the default route's. The suite would then
// send tokens and control commands to an address off loopback, where nothing
// of ours listens (the ports are published on 127.0.0.1 only) and where this
// project's traffic must never go. Refusing the host turns that misconfiguration
// into one clear error instead of timeouts in every spec.
func CheckLoopback(host string) error {
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(h, "localhost") {
		return nil
	}
	if addr, err := netip.ParseAddr(h); err == nil && addr.Unmap().IsLoopback() {
		return nil
	}
	return fmt.Errorf("docker host %q is not a loopback address: the fake backend is published on 127.0.0.1 only "+
		"and the suite sends no traffic off this machine; set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 "+
		"(the Makefile and .ci/run do)", host)
}
