// Command fakebackend serves the fake backend of contract.md §1 and its
// control API, for the refreshspec suites and for trying a proxy by hand.
//
//	fakebackend --addr=127.0.0.1:8080 --control-addr=127.0.0.1:8081
//
// --mapping-json (or --mapping FILE) makes it speak another dialect: the
// JSON of a profile's backend mapping keys, such as
// {"dialect":"oauth2","client_id":"app","client_secret":"s"} (docs/dialects.md).
//
// It prints "api: <url>" and "control: <url>" once both listen, logs to
// stderr, and shuts down gracefully on SIGINT or SIGTERM. A bad flag exits 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := fakebackend.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// exitCode is 0 on success and on -h, 2 for a bad command line, 1 otherwise.
func exitCode(err error) int {
	var usage *fakebackend.UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "fakebackend:", err)
		return 2
	default:
		fmt.Fprintln(os.Stderr, "fakebackend:", err)
		return 1
	}
}
