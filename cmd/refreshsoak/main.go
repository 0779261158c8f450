// Command refreshsoak runs a bounded soak of the reference proxy: many
// sessions, random expiries and injected faults, on loopback only, and
// prints sessions, requests, faults, sessions lost, unexpected 5xx, refresh
// calls against expiries, the leak scan and the proxy's memory. It exits 1
// when the soak found a problem, 2 on a bad command line. See package soak.
//
//	go run ./cmd/refreshsoak -duration 60s -sessions 200
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/refreshspec/refreshspec/internal/soak"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	self, err := soak.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "refreshsoak:", err)
		os.Exit(1)
	}
	err = soak.Main(ctx, os.Args[1:], os.Getenv, self, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.Is(err, soak.ErrFailed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "refreshsoak:", err)
		os.Exit(1)
	}
}
