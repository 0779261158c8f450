package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes: the run's verdict, or why there is none.
const (
	ExitConformant = 0 // every scenario that counts passed
	ExitFailure    = 1 // a scenario that counts failed
	ExitUsage      = 2 // a bad flag or profile, or a set-up that failed
	// ExitInconclusive is a run in which every selected scenario was
	// skipped: it checked nothing, so it is no pass.
	ExitInconclusive = 2
)

// usageError is a bad command line or profile; setupError is a run that could
// not be set up (no Docker, a target that never answered). Both exit 2, and
// both name the flag or file at fault.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

type setupError struct{ err error }

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

func setupf(format string, args ...any) error {
	return &setupError{fmt.Errorf(format, args...)}
}

// errNonConformant is a run that found a failure that counts.
var errNonConformant = errors.New("not conformant")

// errInconclusive is a run in which every selected scenario was skipped.
var errInconclusive = errors.New("inconclusive: every selected scenario was skipped; see the reasons above, or select scenarios that can run")

// env is what a subcommand gets from the process.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, e env) error
}

func commands() []command {
	return []command{
		{"proxy", "run the proxy suite (P) against a proxy in front of the fake backend", runProxy},
		{"backend", "run the backend suite (B) against a backend's /auth/* routes", runBackend},
		{"fakebackend", "run the fake backend on its own, for developing against it", runFakeBackend},
		{"list", "print the scenario catalogue", runList},
		{"version", "print the version, the commit and the Go version", runVersion},
	}
}

// Main runs the refreshspec command line args (without the program name) and
// returns the exit status.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return ExitConformant
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(c.run(ctx, args[1:], e), c.name, stderr)
		}
	}
	fmt.Fprintf(stderr, "refreshspec: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return ExitUsage
}

func exitCode(err error, name string, stderr io.Writer) int {
	var usage *usageError
	var setup *setupError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitConformant
	case errors.Is(err, errNonConformant):
		return ExitFailure
	case errors.Is(err, errInconclusive):
		fmt.Fprintf(stderr, "refreshspec %s: %v\n", name, err)
		return ExitInconclusive
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "refreshspec %s: %v\n(run 'refreshspec %s -h' for usage)\n", name, err, name)
		return ExitUsage
	case errors.As(err, &setup):
		fmt.Fprintf(stderr, "refreshspec %s: %v\n", name, err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "refreshspec %s: %v\n", name, err)
		return ExitUsage
	}
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("refreshspec checks cookie-session token refresh against contract.md.\n\nUsage:\n  refreshspec <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'refreshspec <command> -h' for a command's flags. Exit status: 0 conformant, 1 a conformance failure, 2 a usage or set-up error, or a run in which every selected scenario was skipped.\n")
	io.WriteString(w, b.String())
}
