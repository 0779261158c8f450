package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/refreshspec/refreshspec/internal/freeport"
	"github.com/refreshspec/refreshspec/profile"
)

// ContainerPort is the port a target image listens on inside its container:
// it gets PORT=8080 (or the profile's name for PORT).
const ContainerPort = "8080"

// ContainerOptions say how to start a target from a container image.
type ContainerOptions struct {
	// Image is a container image that is already on this machine: it is
	// never pulled (see LocalImage).
	Image string
	// Env holds the variables of contract.md §2 by the contract's names
	// (BACKEND_URL, SESSION_SECRET, COOKIE_SECURE, BACKEND_TIMEOUT) plus any
	// others passed as they are; PORT is set to ContainerPort. BACKEND_URL
	// must be reachable from inside the container: a fake backend container
	// on Network, by its alias.
	Env map[string]string
	// EnvNames renames the contract's variables for a target that reads others.
	EnvNames profile.EnvNames
	// Network is the Docker network the target joins (where the fake
	// backend runs); empty means the default bridge.
	Network *testcontainers.DockerNetwork
	// ReadyPath is requested until it answers below 500.
	ReadyPath string
	// StartTimeout bounds the wait for ReadyPath (default 60 s).
	StartTimeout time.Duration
	// Output receives the container's log, if set.
	Output io.Writer
}

// Container is a target the suite started from an image. Its port is
// published on the host's 127.0.0.1 only, and on the same host port after a
// Restart, so that its URL (and the cookies scoped to it) stays the same.
type Container struct {
	opts     ContainerOptions
	hostPort int

	mu  sync.Mutex
	ctr testcontainers.Container
	env map[string]string

	transcript Transcript // its logs, across restarts (P8.10)
}

var _ Target = (*Container)(nil)

// StartContainer starts opts.Image and waits until it answers on
// opts.ReadyPath. On error nothing is left running.
func StartContainer(ctx context.Context, opts ContainerOptions) (*Container, error) {
	if opts.Image == "" {
		return nil, errors.New("target container: no image")
	}
	if err := LocalImage(ctx, opts.Image); err != nil {
		return nil, err
	}
	if opts.ReadyPath == "" {
		opts.ReadyPath = "/"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	port, err := freeport.Loopback()
	if err != nil {
		return nil, fmt.Errorf("target container: %w", err)
	}
	c := &Container{opts: opts, hostPort: port, env: maps.Clone(opts.Env)}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// URL is the target's base URL on this machine.
func (c *Container) URL() string { return "http://127.0.0.1:" + strconv.Itoa(c.hostPort) }

// Env returns the contract's variables the target runs with now.
func (c *Container) Env() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	env := maps.Clone(c.env)
	env[EnvPort] = ContainerPort
	return env
}

// Restart stops the container and starts a new one from the same image with
// env's variables changed.
func (c *Container) Restart(ctx context.Context, env map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopLocked(ctx); err != nil {
		return fmt.Errorf("restart with %s changed: %w", changed(env), err)
	}
	maps.Copy(c.env, env)
	if err := c.startLocked(ctx); err != nil {
		return fmt.Errorf("restart with %s changed: %w", changed(env), err)
	}
	return nil
}

// Stop removes the container.
func (c *Container) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(ctx)
}

func (c *Container) start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked(ctx)
}

func (c *Container) startLocked(ctx context.Context) error {
	names := c.opts.EnvNames
	env := environment(c.env, names)
	portName := EnvPort
	if names.Port != "" {
		portName = names.Port
	}
	env[portName] = ContainerPort

	exposed := ContainerPort + "/tcp"
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(exposed),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{
				network.MustParsePort(exposed): {{HostIP: loopback, HostPort: strconv.Itoa(c.hostPort)}},
			}
		}),
		testcontainers.WithWaitStrategyAndDeadline(c.opts.StartTimeout,
			wait.ForHTTP(c.opts.ReadyPath).WithPort(exposed).
				WithStatusCodeMatcher(func(status int) bool { return status < 500 }).
				WithStartupTimeout(c.opts.StartTimeout)),
	}
	if c.opts.Network != nil {
		opts = append(opts, tcnetwork.WithNetwork(nil, c.opts.Network))
	}
	var out io.Writer = &c.transcript
	if c.opts.Output != nil {
		out = io.MultiWriter(&c.transcript, c.opts.Output)
	}
	opts = append(opts, testcontainers.WithLogConsumers(logWriter{out}))
	began := time.Now()
	ctr, err := testcontainers.Run(ctx, c.opts.Image, opts...)
	if err != nil {
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr)
		}
		return newNotReady(ctx, c.opts.StartTimeout, began, fmt.Sprintf("target image %s: did not answer %s below 500 %s: %v",
			c.opts.Image, c.opts.ReadyPath, ReadyBound(ctx, c.opts.StartTimeout), err), err)
	}
	c.ctr = ctr
	return nil
}

func (c *Container) stopLocked(ctx context.Context) error {
	if c.ctr == nil {
		return nil
	}
	err := c.ctr.Terminate(ctx)
	c.ctr = nil
	if err != nil {
		return fmt.Errorf("target image %s: stop: %w", c.opts.Image, err)
	}
	return nil
}

// loopback is where the target's port is published: only this machine
// reaches it.
var loopback = mustAddr("127.0.0.1")

// LocalImage returns nil when image is on this machine's Docker engine, and
// otherwise an error saying so. Starting a missing image would make Docker
// pull it from a registry, which the suite never does.
func LocalImage(ctx context.Context, image string) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("no Docker engine reachable for image %s: %w", image, err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("image %s is not on this machine (refreshspec never pulls images): build or load it first, e.g. docker build -t %s", image, image)
		}
		return fmt.Errorf("image %s: %w", image, err)
	}
	return nil
}

// Transcript is everything the container logged while the suite ran it.
func (c *Container) Transcript() *Transcript { return &c.transcript }

// logWriter copies a container's log lines to a writer.
type logWriter struct{ w io.Writer }

func (l logWriter) Accept(log testcontainers.Log) { _, _ = l.w.Write(log.Content) }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
