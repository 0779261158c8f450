// Command refreshbench measures the reference proxy and the fake backend and
// prints one table: the reference against a bare proxy, a refresh storm, the
// fake backend's headroom, resident memory, and the suites' wall time.
// `make bench` runs it; see package bench.
//
//	refreshbench -bin-dir bin            # the binaries make build wrote
//	refreshbench -rows 1,3 -cpuprofile cpu.out
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/refreshspec/refreshspec/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "refreshbench:", err)
		os.Exit(2)
	}
}
