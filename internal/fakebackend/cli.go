package fakebackend

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// UsageError is a bad command line; cmd/fakebackend exits 2 on it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Main runs the fake backend binary: it parses args (without the program
// name), starts the backend, prints its two URLs to stdout and serves until
// ctx ends, then shuts down gracefully. getenv supplies LOG_LEVEL
// (debug, info, warn, error). A bad flag is a *UsageError naming it;
// -h is flag.ErrHelp.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakebackend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr          = fs.String("addr", "127.0.0.1:8080", "address of the backend API (contract.md §1)")
		controlAddr   = fs.String("control-addr", "127.0.0.1:8081", "address of the control API")
		allowRemote   = fs.Bool("allow-remote-control", false, "let the control API listen on a non-loopback address (containers)")
		accessTTL     = fs.Duration("access-ttl", DefaultAccessTTL, "life of an access token")
		refreshTTL    = fs.Duration("refresh-ttl", DefaultRefreshTTL, "life of a refresh token")
		graceWindow   = fs.Duration("grace-window", DefaultGraceWindow, "reuse grace window for the previous refresh token (0 = off)")
		noRateLimit   = fs.Bool("no-rate-limit", false, "turn the refresh rate limit off")
		perFamily     = fs.Int("rate-limit-per-family", DefaultRateLimit().PerFamily, "refresh attempts per family per window")
		perAddress    = fs.Int("rate-limit-per-address", DefaultRateLimit().PerAddress, "refresh attempts per client address per window")
		window        = fs.Duration("rate-limit-window", DefaultRateLimit().Window.Std(), "rate limit window")
		usersFile     = fs.String("users", "", "JSON file with an array of users ({id,email,password,firstName,lastName}); default alice@example.com")
		usersJSON     = fs.String("users-json", "", "the same array of users given inline, for a container's command line (refreshspec proxy seeds its profile's credentials so)")
		mappingJSON   = fs.String("mapping-json", "", "the dialect to speak, as the JSON of a profile's backend mapping keys ({\"dialect\":\"oauth2\",\"client_id\":...}; see docs/dialects.md); default contract.md §1")
		mappingFile   = fs.String("mapping", "", "the same mapping read from a JSON file")
		rotationFlag  = fs.String("rotation", "", "rotation semantics to serve: a preset (contract, auth0, okta, keycloak, hydra, cognito) with comma-separated key=value knobs (okta,grace_period=10s), or a JSON object; see docs/providers.md. Overrides the mapping's rotation")
		breakList     = fs.String("break", "", "comma-separated defects to switch on: "+breakNames())
		logFormat     = fs.String("log-format", "text", "log format: text or json")
		shutdownGrace = fs.Duration("shutdown-timeout", 10*time.Second, "how long a graceful shutdown waits for requests in flight")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{err}
	}
	if fs.NArg() > 0 {
		return &UsageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	usage := func(flagName, format string, a ...any) error {
		return &UsageError{fmt.Errorf("-%s: %s", flagName, fmt.Sprintf(format, a...))}
	}
	switch {
	case *accessTTL <= 0:
		return usage("access-ttl", "must be positive, got %s", *accessTTL)
	case *refreshTTL <= 0:
		return usage("refresh-ttl", "must be positive, got %s", *refreshTTL)
	case *graceWindow < 0:
		return usage("grace-window", "must not be negative, got %s", *graceWindow)
	case *perFamily <= 0:
		return usage("rate-limit-per-family", "must be positive, got %d", *perFamily)
	case *perAddress <= 0:
		return usage("rate-limit-per-address", "must be positive, got %d", *perAddress)
	case *window <= 0:
		return usage("rate-limit-window", "must be positive, got %s", *window)
	case *logFormat != "text" && *logFormat != "json":
		return usage("log-format", "must be text or json, got %q", *logFormat)
	case *shutdownGrace <= 0:
		return usage("shutdown-timeout", "must be positive, got %s", *shutdownGrace)
	}
	breaks, err := ParseBreaks(*breakList)
	if err != nil {
		return usage("break", "%v", err)
	}
	var users []User
	switch {
	case *usersFile != "" && *usersJSON != "":
		return usage("users-json", "give either -users or -users-json, not both")
	case *usersFile != "":
		if users, err = LoadUsers(*usersFile); err != nil {
			return usage("users", "%v", err)
		}
	case *usersJSON != "":
		if users, err = ReadUsers(strings.NewReader(*usersJSON)); err != nil {
			return usage("users-json", "%v", err)
		}
	}
	mapping, err := readMapping(*mappingFile, *mappingJSON)
	if err != nil {
		return err
	}
	if *rotationFlag != "" {
		r, err := dialect.ParseRotation(*rotationFlag)
		if err != nil {
			return usage("rotation", "%v", err)
		}
		mapping.Rotation, mapping.ReuseLeeway = r, 0
	}
	var level slog.Level
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return &UsageError{fmt.Errorf("LOG_LEVEL: %w", err)}
		}
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	if *logFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(stderr, handlerOpts))
	} else {
		logger = slog.New(slog.NewTextHandler(stderr, handlerOpts))
	}

	cfg := Config{
		AccessTTL: *accessTTL, RefreshTTL: *refreshTTL, GraceWindow: *graceWindow,
		RateLimit: &control.RateLimit{Enabled: !*noRateLimit, PerFamily: *perFamily, PerAddress: *perAddress, Window: control.Duration(*window)},
		Users:     users, Breaks: breaks, Logger: logger, Mapping: mapping,
	}
	running, err := Start(ctx, cfg, StartOptions{APIAddr: *addr, ControlAddr: *controlAddr, AllowRemoteControl: *allowRemote})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "api: %s\ncontrol: %s\n", running.URL, running.ControlURL)
	logger.Info("fake backend listening", "api", running.URL, "control", running.ControlURL, "dialect", string(running.Server.Mapping().Dialect),
		"breaks", strings.Join(breakStrings(breaks), ","))
	<-ctx.Done()
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *shutdownGrace)
	defer cancel()
	return running.Close(shutdownCtx)
}

// readMapping reads --mapping or --mapping-json; a mapping the backend
// cannot serve is a UsageError naming the flag and the mapping's key.
func readMapping(file, inline string) (dialect.Mapping, error) {
	flagName, raw := "mapping-json", []byte(inline)
	switch {
	case file != "" && inline != "":
		return dialect.Mapping{}, &UsageError{errors.New("-mapping-json: give either -mapping or -mapping-json, not both")}
	case file != "":
		flagName = "mapping"
		var err error
		if raw, err = os.ReadFile(file); err != nil {
			return dialect.Mapping{}, &UsageError{fmt.Errorf("-mapping: %w", err)}
		}
	case inline == "":
		return dialect.Mapping{}, nil
	}
	m, err := dialect.ParseJSON(raw)
	if err == nil {
		err = CheckMapping(m)
	}
	if err != nil {
		return dialect.Mapping{}, &UsageError{fmt.Errorf("-%s: %w", flagName, err)}
	}
	return m, nil
}

func breakStrings(bs []Break) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
