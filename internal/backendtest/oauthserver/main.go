// Command oauthserver is a real OAuth 2.0 server built on
// github.com/ory/fosite, the Go library behind Ory Hydra, for the backend
// suite's own test (internal/backendtest/oauthserver_test.go), which runs
// `refreshspec backend --strict` against it with a profile in the oauth2
// dialect: fosite's password and refresh_token grants, refresh token
// rotation, reuse detection that revokes the whole grant, and RFC 7009
// revocation.
//
// The server is fosite as it comes (its in-memory store, its HMAC tokens);
// the only code of its own is what fosite leaves to its user: the users'
// passwords, and the protected resource (an OIDC userinfo-like endpoint
// that introspects the access token and answers RFC 6750's challenge). The
// test's verdict table, and what fosite lacks, are in docs/dialects.md.
//
// It is a module of its own so that fosite and what it brings (otel, grpc,
// viper, pop...) stay out of refreshspec's module graph; the test builds it
// with go build in this folder. It listens on 127.0.0.1 only, writes its
// URL as one line on stdout once it accepts connections, logs on stderr,
// and exits 0 on SIGINT or SIGTERM after shutting its server down.
//
//	go run . -addr 127.0.0.1:9096 -access-ttl 3s
//
// Routes: POST /oauth2/token, POST /oauth2/revoke, GET /userinfo. The client
// authenticates with HTTP Basic or in the form, and may ask for the
// offline_access scope, without which fosite issues no refresh token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("oauthserver: ")
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		log.Print(err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("oauthserver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address: host 127.0.0.1 only; port 0 for any free port")
	var o options
	fs.DurationVar(&o.accessTTL, "access-ttl", 3*time.Second, "access tokens' lifetime (fosite's default is 1h; short, so that expiry checks wait for it)")
	fs.StringVar(&o.clientID, "client-id", "refreshspec-cli", "the confidential client's id")
	fs.StringVar(&o.clientSecret, "client-secret", "refreshspec-cli-secret", "the confidential client's secret")
	fs.StringVar(&o.user.email, "user-email", "alice@example.com", "the resource owner's username (an email)")
	fs.StringVar(&o.user.password, "user-password", "correct horse", "the resource owner's password")
	fs.StringVar(&o.user.givenName, "user-given-name", "Alice", "the resource owner's given_name at /userinfo")
	fs.StringVar(&o.user.familyName, "user-family-name", "Liddell", "the resource owner's family_name at /userinfo")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", *addr, err)
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("-addr %q: listens on 127.0.0.1 only", *addr)
	}
	if o.accessTTL <= 0 {
		return fmt.Errorf("-access-ttl %s: want a positive duration", o.accessTTL)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	handler, err := newServer(ctx, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The ready line: the listener accepts connections from here on.
	if _, err := fmt.Fprintf(stdout, "http://%s\n", ln.Addr()); err != nil {
		srv.Close()
		return err
	}

	select {
	case err := <-served:
		return err // Serve returns only on failure before Shutdown
	case <-ctx.Done():
	}
	stop() // a second signal kills the process
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
