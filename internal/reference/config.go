package reference

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/refreshspec/refreshspec/dialect"
)

// The environment variables of contract.md §2, plus BACKEND_TIMEOUT.
const (
	EnvBackendURL     = "BACKEND_URL"
	EnvPort           = "PORT"
	EnvSessionSecret  = "SESSION_SECRET"
	EnvCookieSecure   = "COOKIE_SECURE"
	EnvBackendTimeout = "BACKEND_TIMEOUT"
	// EnvRedisURL, when set, shares each refresh among the instances that
	// use the same Redis (sharedrefresh.go).
	EnvRedisURL = "REDIS_URL"
	// EnvBackendMapping names a file that says how the backend speaks: the
	// mapping keys of a profile's backend section (docs/dialects.md), as
	// YAML or JSON. Unset is contract.md §1.
	EnvBackendMapping = "BACKEND_MAPPING"
)

// Defaults for the variables that may be unset.
const (
	DefaultPort           = "8080"
	DefaultBackendTimeout = 5 * time.Second
	// MinSecretLength is the shortest SESSION_SECRET entry accepted: the keys
	// are derived from it, and a short secret is guessable offline from any
	// cookie.
	MinSecretLength = 32
	// SessionLifetime bounds a session from its login: contract.md §1 gives
	// login no refresh expiry, so the reference assumes the backend's
	// default refresh TTL and keeps that bound across refreshes.
	SessionLifetime = 7 * 24 * time.Hour
)

// Config is what the reference proxy needs to run.
type Config struct {
	// BackendURL is the base URL of the backend of contract.md §1.
	BackendURL string
	// Secrets seal the session cookie: the first seals, all unseal (key
	// rotation). Each is at least MinSecretLength characters.
	Secrets []string
	// CookieSecure sets Secure on the session cookie.
	CookieSecure bool
	// BackendTimeout bounds each call to the backend (resource, refresh,
	// login, logout). Zero means DefaultBackendTimeout.
	BackendTimeout time.Duration
	// RedisURL, when set (redis://host:port/db), makes the instances that
	// share it refresh a token once between them: a lock and the rotated
	// pair live in Redis (sharedrefresh.go). Empty: each instance refreshes
	// on its own, as one process.
	RedisURL string
	// Mapping is how the backend speaks (package dialect): its routes,
	// fields and answers, contract.md §1's JSON or an OAuth 2.0 server's.
	// The zero value is contract.md §1; NewServer applies the defaults.
	Mapping dialect.Mapping
	// Logger receives one line per refresh attempt and every error; nil
	// means slog.Default().
	Logger *slog.Logger

	// now is the clock the session expiry is judged by; tests set it.
	now func() time.Time
}

// ConfigFromEnv reads the variables of contract.md §2 (PORT aside, which Run
// reads) through getenv. Errors name the variable at fault.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{CookieSecure: true, BackendTimeout: DefaultBackendTimeout}

	raw := strings.TrimSpace(getenv(EnvBackendURL))
	if raw == "" {
		return Config{}, fmt.Errorf("%s is not set: it names the backend, such as http://127.0.0.1:8081", EnvBackendURL)
	}
	if err := checkBackendURL(raw); err != nil {
		return Config{}, fmt.Errorf("%s: %w", EnvBackendURL, err)
	}
	cfg.BackendURL = strings.TrimRight(raw, "/")

	secrets, err := parseSecrets(getenv(EnvSessionSecret))
	if err != nil {
		return Config{}, err
	}
	cfg.Secrets = secrets

	if v := strings.TrimSpace(getenv(EnvCookieSecure)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s=%q: want true or false", EnvCookieSecure, v)
		}
		cfg.CookieSecure = b
	}

	if v := strings.TrimSpace(getenv(EnvBackendTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("%s=%q: want a positive Go duration such as 5s", EnvBackendTimeout, v)
		}
		cfg.BackendTimeout = d
	}

	if v := strings.TrimSpace(getenv(EnvRedisURL)); v != "" {
		if _, err := redisOptions(v); err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvRedisURL, err)
		}
		cfg.RedisURL = v
	}
	if path := strings.TrimSpace(getenv(EnvBackendMapping)); path != "" {
		m, err := loadMapping(path)
		if err != nil {
			return Config{}, fmt.Errorf("%s=%s: %w", EnvBackendMapping, path, err)
		}
		cfg.Mapping = m
	}
	return cfg, nil
}

// loadMapping reads a mapping file: the mapping keys of a profile's backend
// section, as YAML or JSON. Unknown keys are an error, and a mapping that
// contradicts itself names the key at fault.
func loadMapping(path string) (dialect.Mapping, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return dialect.Mapping{}, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return dialect.Mapping{}, err
	}
	return dialect.ParseJSON(js)
}

func parseSecrets(raw string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%s is not set: give a random secret of at least %d characters (a comma-separated list rotates keys: the first seals, all unseal)", EnvSessionSecret, MinSecretLength)
	}
	parts := strings.Split(raw, ",")
	secrets := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) < MinSecretLength {
			// Never echo the secret: say which entry and how long it is.
			return nil, fmt.Errorf("%s: entry %d is %d characters; each secret needs at least %d", EnvSessionSecret, i+1, len(p), MinSecretLength)
		}
		secrets = append(secrets, p)
	}
	return secrets, nil
}

func checkBackendURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

func (c Config) validate() error {
	if err := checkBackendURL(c.BackendURL); err != nil {
		return fmt.Errorf("BackendURL: %w", err)
	}
	if len(c.Secrets) == 0 {
		return errors.New("reference: no session secret: at least one is needed (" + EnvSessionSecret + ")")
	}
	for i, s := range c.Secrets {
		if len(s) < MinSecretLength {
			return fmt.Errorf("%s: entry %d is %d characters; each secret needs at least %d", EnvSessionSecret, i+1, len(s), MinSecretLength)
		}
	}
	if c.BackendTimeout < 0 {
		return fmt.Errorf("reference: BackendTimeout %v is negative", c.BackendTimeout)
	}
	if c.RedisURL != "" {
		if _, err := redisOptions(c.RedisURL); err != nil {
			return fmt.Errorf("RedisURL (%s): %w", EnvRedisURL, err)
		}
	}
	if err := c.Mapping.Validate(); err != nil {
		return fmt.Errorf("reference: mapping (%s): %w", EnvBackendMapping, err)
	}
	if c.Mapping.Profile.Body != dialect.BodyJSON {
		// PATCH /api/profile takes JSON (contract.md §2) and passes it on.
		return fmt.Errorf("reference: mapping (%s): profile.body: %q: the reference forwards the profile update's JSON body as it is", EnvBackendMapping, c.Mapping.Profile.Body)
	}
	return nil
}
