// Command reference runs the reference proxy of contract.md §2. It reads
// BACKEND_URL, PORT, SESSION_SECRET, COOKIE_SECURE and BACKEND_TIMEOUT from
// the environment; see package reference.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/refreshspec/refreshspec/internal/reference"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := reference.Run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(1)
	}
}
