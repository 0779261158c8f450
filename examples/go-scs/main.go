// Command go-scs is the cookie-session token-refresh pattern on Go's
// net/http with alexedwards/scs server-side sessions: the cookie holds only
// a random session token and the backend's tokens stay in scs's store, so
// no secret seals anything. gorilla/csrf protects the login form and the
// other unsafe routes. It serves the routes of refreshspec's contract.md §2
// (README.md tells how to run it and what the suite says of it).
package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alexedwards/scs/v2"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(2)
	}
	if err := run(cfg, log); err != nil {
		log.Error("server", "err", err)
		os.Exit(1)
	}
}

func newApp(cfg config, log *slog.Logger) *app {
	// scs's defaults are the cookie the pattern wants: HttpOnly,
	// SameSite=Lax, Path=/, persistent; the store is its memstore.
	sessions := scs.New()
	sessions.Lifetime = 7 * 24 * time.Hour // the refresh token's life
	sessions.Cookie.Secure = cfg.cookieSecure

	b := &backend{base: cfg.backendURL, timeout: cfg.backendTimeout, client: &http.Client{}}
	return &app{cfg: cfg, sessions: sessions, backend: b, refresher: newRefresher(b), log: log}
}

// run serves until SIGINT or SIGTERM, then lets requests in flight finish.
func run(cfg config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newApp(cfg, log).routes(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "backend", cfg.backendURL, "cookie_secure", cfg.cookieSecure, "planted_bug", cfg.plantedBug)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
