package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// shutdownGrace is how long in-flight requests get to finish on shutdown.
const shutdownGrace = 10 * time.Second

// Run reads the configuration through getenv, serves the proxy on PORT until
// ctx is done, then shuts down gracefully. The listening address is printed
// to stdout; logs (JSON) go to stderr.
func Run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	port, err := portFromEnv(getenv)
	if err != nil {
		return err
	}
	logHandler := slog.NewJSONHandler(stderr, nil)
	cfg.Logger = slog.New(logHandler)
	if cfg.RedisURL != "" {
		// go-redis logs through one process-wide logger, to stderr in its
		// own format unless told otherwise.
		redis.SetLogger(redisLogger{cfg.Logger})
	}

	srv, err := NewServer(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return fmt.Errorf("%s=%s: %w", EnvPort, port, err)
	}
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A request may wait for a resource call, a refresh and a retry.
		WriteTimeout: 3*cfg.BackendTimeout + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logHandler, slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "reference proxy listening on http://%s (backend %s)\n", ln.Addr(), cfg.BackendURL)
	cfg.Logger.Info("listening", "addr", ln.Addr().String(), "backend", cfg.BackendURL, "cookie_secure", cfg.CookieSecure, "secrets", len(cfg.Secrets), "shared_refresh", cfg.RedisURL != "")

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = httpSrv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) && serveErr != nil {
		return fmt.Errorf("serving: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	cfg.Logger.Info("stopped")
	return nil
}

func portFromEnv(getenv func(string) string) (string, error) {
	port := strings.TrimSpace(getenv(EnvPort))
	if port == "" {
		return DefaultPort, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%s=%q: want a port number (0-65535)", EnvPort, port)
	}
	return port, nil
}
