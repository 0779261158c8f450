// Command refreshspec checks that an implementation of the cookie-session
// token-refresh pattern conforms to contract.md: the proxy suite (P) against
// a proxy it starts in front of a fake backend, the backend suite (B) against
// a backend's /auth/* routes. See docs/cli.md.
//
//	refreshspec proxy --target-cmd 'npm run start'
//	refreshspec backend --target-url http://127.0.0.1:3000 --email E --password P
//	refreshspec list
//
// Exit status: 0 conformant, 1 a conformance failure, 2 a usage or set-up error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/refreshspec/refreshspec/cmd/refreshspec/internal/cli"
)

func main() {
	// Each of these ends the run the same way: the suite stops and the fake
	// backend's container, the target and their network are removed. SIGPIPE
	// is among them because `refreshspec ... | head` would otherwise kill the
	// process on its next write and leave the containers running; SIGHUP for
	// a closed terminal.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE, syscall.SIGHUP)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
