package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// runFakeBackend runs the fake backend on its own until interrupted. With
// "serve" (or --serve) as its first argument it is the fake backend's own
// command line (cmd/fakebackend's flags): that is how the refreshspec
// binary serves the fake backend inside a container for --backend container.
func runFakeBackend(ctx context.Context, args []string, e env) error {
	if len(args) > 0 && (args[0] == "serve" || args[0] == "--serve" || args[0] == "-serve") {
		err := fakebackend.Main(ctx, args[1:], e.getenv, e.stdout, e.stderr)
		var usage *fakebackend.UsageError
		if errors.As(err, &usage) {
			return &usageError{err}
		}
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			return setupf("%v", err)
		}
		return err
	}
	fs := flag.NewFlagSet("refreshspec fakebackend", flag.ContinueOnError)
	var kind, image, addr, controlAddr, profilePath string
	var verbose bool
	fs.StringVar(&kind, "backend", backendLocal, "where it runs: local (in this process) or container (Docker)")
	fs.StringVar(&image, "backend-image", "", "with --backend container: run this local `image` instead of this binary")
	fs.StringVar(&addr, "addr", "127.0.0.1:9090", "loopback address of the API")
	fs.StringVar(&controlAddr, "control-addr", "127.0.0.1:9091", "loopback address of the control API")
	fs.StringVar(&profilePath, "profile", "", "speak this profile's backend dialect (docs/dialects.md) and know its credentials' user")
	fs.BoolVar(&verbose, "v", false, "log to stderr: a line per refresh attempt with its outcome (the fake backend's info level)")
	fs.Usage = usageFunc(fs, "refreshspec fakebackend [--backend local|container] [--addr HOST:PORT] [--control-addr HOST:PORT] [--profile FILE]\n  refreshspec fakebackend serve [cmd/fakebackend flags]")
	if err := parse(fs, args, e.stderr); err != nil {
		return err
	}
	if err := checkBackendKind(kind, image); err != nil {
		return err
	}
	if err := checkLoopbackAddr("addr", addr); err != nil {
		return err
	}
	if err := checkLoopbackAddr("control-addr", controlAddr); err != nil {
		return err
	}
	o := fakeOptions{kind: kind, image: image, apiAddr: addr, controlAddr: controlAddr, stderr: e.stderr}
	if profilePath != "" {
		prof, _, err := (&commonFlags{profilePath: profilePath}).loadProfile()
		if err != nil {
			return err
		}
		o.users, o.mapping = fakeUsers(prof.Credentials), prof.Backend.Mapping
		if err := checkFakeMapping(o.mapping); err != nil {
			return err
		}
	}
	if verbose {
		o.log = e.stderr
	}
	fb, err := startFake(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "api: %s\ncontrol: %s\n", fb.URL, fb.ControlURL)
	o.mapping.ApplyDefaults()
	fmt.Fprintf(e.stderr, "refreshspec: fake backend running (--backend %s) in the %s dialect (refresh at %s); point your proxy's BACKEND_URL at %s; Ctrl-C stops it\n",
		kind, o.mapping.Dialect, o.mapping.Refresh, fb.URL)
	<-ctx.Done()
	closeQuietly(ctx, "fake backend", fb.Close, e.stderr)
	return nil
}
