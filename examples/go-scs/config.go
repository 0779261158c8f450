package main

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// plantedBugs are the deliberate defects PLANTED_BUG switches on, one at a
// time, for the suite to catch (README.md, "Planted bugs"). None is on by
// default.
var plantedBugs = []string{
	// The rotated tokens are Put into the session after the answer was
	// written; scs's LoadAndSave commits the session at the first write,
	// so they never reach the store.
	"put-after-write",
	// Every refresh renews the session token, as scs's README advises for
	// a login; concurrent requests each renew it, and requests carrying
	// the session id from before the rotation find no session.
	"renew-on-refresh",
}

// config is the app's environment, read once at start.
type config struct {
	addr           string        // HOST:PORT to listen on
	backendURL     string        // BACKEND_URL, without a trailing slash
	cookieSecure   bool          // COOKIE_SECURE: false for plain HTTP on loopback
	backendTimeout time.Duration // BACKEND_TIMEOUT: bound on one backend call
	csrfKey        []byte        // SHA-256 of CSRF_AUTH_KEY: gorilla/csrf wants 32 bytes
	plantedBug     string        // PLANTED_BUG, empty unless a test asks
}

// loadConfig reads the environment through getenv; every error names the
// variable at fault.
func loadConfig(getenv func(string) string) (config, error) {
	var cfg config

	port := getenv("PORT")
	if port == "" {
		port = "3000"
	}
	host := getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	cfg.addr = net.JoinHostPort(host, port)

	backendURL := strings.TrimRight(getenv("BACKEND_URL"), "/")
	u, err := url.Parse(backendURL)
	if backendURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("BACKEND_URL %q: want the backend's base URL, such as http://127.0.0.1:8080", backendURL)
	}
	cfg.backendURL = backendURL

	switch v := getenv("COOKIE_SECURE"); v {
	case "", "true", "1":
		cfg.cookieSecure = true
	case "false", "0":
		cfg.cookieSecure = false
	default:
		return cfg, fmt.Errorf("COOKIE_SECURE %q: want true or false", v)
	}

	cfg.backendTimeout = 5 * time.Second
	if v := getenv("BACKEND_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("BACKEND_TIMEOUT %q: want a positive Go duration, such as 2s or 1500ms", v)
		}
		cfg.backendTimeout = d
	}

	// gorilla/csrf signs its cookie with this key; its README asks for one
	// that is secret and survives restarts, never one generated at start.
	key := getenv("CSRF_AUTH_KEY")
	if len(key) < 32 {
		return cfg, fmt.Errorf("CSRF_AUTH_KEY: want at least 32 characters, got %d", len(key))
	}
	sum := sha256.Sum256([]byte(key))
	cfg.csrfKey = sum[:]

	cfg.plantedBug = getenv("PLANTED_BUG")
	if cfg.plantedBug != "" && !slices.Contains(plantedBugs, cfg.plantedBug) {
		return cfg, fmt.Errorf("PLANTED_BUG %q: want one of %s", cfg.plantedBug, strings.Join(plantedBugs, ", "))
	}
	return cfg, nil
}
