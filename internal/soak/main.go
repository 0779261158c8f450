package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// ErrFailed is returned by Main when the soak ran and found problems.
var ErrFailed = errors.New("soak failed")

// Main is cmd/refreshsoak: it parses args (without the program name), runs
// the soak and prints the report. With EnvChild=reference in the
// environment it serves the reference proxy instead (the other side of
// Subprocess). self is the path of the running binary, re-executed for the
// separate proxy process.
func Main(ctx context.Context, args []string, getenv func(string) string, self string, stdin io.Reader, stdout, stderr io.Writer) error {
	if getenv(EnvChild) == "reference" {
		return ServeReference(ctx, getenv, stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("refreshsoak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var inProcess bool
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long the traffic runs (a drain of a few seconds follows)")
	fs.IntVar(&cfg.Sessions, "sessions", 200, "sessions (browsers), one user each")
	fs.IntVar(&cfg.Workers, "workers", 16, "concurrent clients")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the random choices (0: the time)")
	fs.DurationVar(&cfg.BackendTimeout, "backend-timeout", 3*time.Second, "the proxy's BACKEND_TIMEOUT; delay faults last twice as long")
	fs.DurationVar(&cfg.FaultEvery, "fault-every", 100*time.Millisecond, "mean interval between injected faults")
	fs.DurationVar(&cfg.ExpireEvery, "expire-every", 20*time.Millisecond, "mean interval between expiries of one family's access token")
	fs.DurationVar(&cfg.AdvanceEvery, "advance-every", 10*time.Second, "mean interval between clock advances past every access token")
	fs.DurationVar(&cfg.RevokeEvery, "revoke-every", 5*time.Second, "mean interval between deliberate revocations")
	fs.BoolVar(&inProcess, "in-process", false, "run the reference in this process instead of a separate one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.Duration <= 0 || cfg.Duration > time.Hour {
		return fmt.Errorf("-duration %s: want more than 0 and at most 1h (a soak is bounded)", cfg.Duration)
	}
	cfg.Progress = stderr
	if inProcess {
		cfg.Proxy = InProcess()
	} else {
		cfg.Proxy = Subprocess(self)
	}
	// The whole run is bounded whatever happens: traffic, drain, shutdown.
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Print(stdout)
	if len(rep.Problems()) > 0 {
		return ErrFailed
	}
	return nil
}

// Executable is the path of the running binary, for Main's self.
func Executable() (string, error) { return os.Executable() }
