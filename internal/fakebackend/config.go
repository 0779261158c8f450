package fakebackend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// The defaults of contract.md §1: short access tokens, long refresh tokens,
// no grace window, and a rate limit that normal use never meets.
const (
	DefaultAccessTTL   = 15 * time.Minute
	DefaultRefreshTTL  = 7 * 24 * time.Hour
	DefaultGraceWindow = time.Duration(0)
)

// DefaultRateLimit is the refresh rate limit unless Config.RateLimit says otherwise.
func DefaultRateLimit() control.RateLimit {
	return control.RateLimit{Enabled: true, PerFamily: 10, PerAddress: 120, Window: control.Duration(time.Minute)}
}

// User is an account the fake backend knows. Password is compared as is:
// this is a test double, not a place to keep real secrets.
type User struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Password  string `json:"password"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// DefaultUsers are the seeded accounts when Config.Users is nil.
func DefaultUsers() []User {
	return []User{{ID: "u-1", Email: "alice@example.com", Password: "correct horse", FirstName: "Alice", LastName: "Liddell"}}
}

// Config is how a fake backend starts; Reset brings it back here.
type Config struct {
	// GraceWindow 0 is the grace period of the Mapping's rotation (its
	// ReuseLeeway when it has no Rotation): a backend that declares a reuse
	// interval forgives the previous refresh token inside it. A positive
	// GraceWindow replaces that grace period.
	AccessTTL, RefreshTTL, GraceWindow time.Duration // zero = defaults (grace 0 = off)
	RateLimit                          *control.RateLimit
	Users                              []User // nil = the default Alice
	Breaks                             []Break
	Logger                             *slog.Logger // nil = discard
	// Mapping is the dialect the API speaks: its routes, request fields,
	// answers and errors (package dialect). The zero value is contract.md
	// §1 as written; CheckMapping says what cannot be served.
	Mapping dialect.Mapping
}

// settings resolves the zero values of c into the run-time settings.
func (c Config) settings() settings {
	s := settings{Settings: control.Settings{
		AccessTTL:   control.Duration(DefaultAccessTTL),
		RefreshTTL:  control.Duration(DefaultRefreshTTL),
		GraceWindow: control.Duration(c.GraceWindow),
		RateLimit:   DefaultRateLimit(),
	}, Breaks: append([]Break(nil), c.Breaks...)}
	if c.AccessTTL > 0 {
		s.AccessTTL = control.Duration(c.AccessTTL)
	}
	if c.RefreshTTL > 0 {
		s.RefreshTTL = control.Duration(c.RefreshTTL)
	}
	// The mapping's rotation (or the contract's, with its reuse_leeway as
	// the grace period); Config.GraceWindow, when set, is its grace period.
	s.Rotation = c.Mapping.Rules()
	if s.GraceWindow > 0 {
		s.Rotation.GracePeriod = dialect.Grace(s.GraceWindow)
	}
	s.mirrorGrace()
	if c.RateLimit != nil {
		s.RateLimit = *c.RateLimit
		def := DefaultRateLimit()
		if s.RateLimit.PerFamily <= 0 {
			s.RateLimit.PerFamily = def.PerFamily
		}
		if s.RateLimit.PerAddress <= 0 {
			s.RateLimit.PerAddress = def.PerAddress
		}
		if s.RateLimit.Window <= 0 {
			s.RateLimit.Window = def.Window
		}
	}
	return s
}

func (c Config) seedUsers() []User {
	if c.Users == nil {
		return DefaultUsers()
	}
	return append([]User(nil), c.Users...)
}

// ParseBreaks reads a comma-separated list of break names (see Break).
func ParseBreaks(list string) ([]Break, error) {
	var out []Break
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		b := Break(name)
		if !knownBreak(b) {
			return nil, fmt.Errorf("unknown break %q (known: %s)", name, breakNames())
		}
		out = append(out, b)
	}
	return out, nil
}

func knownBreak(b Break) bool {
	for _, k := range AllBreaks {
		if k == b {
			return true
		}
	}
	return false
}

func breakNames() string {
	names := make([]string, len(AllBreaks))
	for i, b := range AllBreaks {
		names[i] = string(b)
	}
	return strings.Join(names, ", ")
}

// LoadUsers reads a JSON array of users from path.
func LoadUsers(path string) ([]User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer f.Close()
	return ReadUsers(f)
}

// ReadUsers decodes a JSON array of users, gives an ID ("u-N") to those
// without one and rejects empty or duplicate emails and empty passwords.
func ReadUsers(r io.Reader) ([]User, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var users []User
	if err := dec.Decode(&users); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	if err := validateUsers(users); err != nil {
		return nil, err
	}
	return users, nil
}

func validateUsers(users []User) error {
	if len(users) == 0 {
		return errors.New("users: the list is empty")
	}
	emails := map[string]bool{}
	ids := map[string]bool{}
	for i := range users {
		u := &users[i]
		if u.ID == "" {
			u.ID = fmt.Sprintf("u-%d", i+1)
		}
		key := strings.ToLower(u.Email)
		switch {
		case u.Email == "":
			return fmt.Errorf("users: user %d has no email", i+1)
		case u.Password == "":
			return fmt.Errorf("users: %s has no password", u.Email)
		case emails[key]:
			return fmt.Errorf("users: %s appears twice", u.Email)
		case ids[u.ID]:
			return fmt.Errorf("users: id %s appears twice", u.ID)
		}
		emails[key] = true
		ids[u.ID] = true
	}
	return nil
}

// mirrorGrace keeps GraceWindow, the control API's older name, equal to the
// rotation's grace period (0 when that is unlimited).
func (s *settings) mirrorGrace() {
	if s.Rotation.GracePeriod > 0 {
		s.GraceWindow = control.Duration(s.Rotation.GracePeriod)
	} else {
		s.GraceWindow = 0
	}
}

// checkRules says why rules cannot be served.
func checkRules(r dialect.RotationRules) error {
	switch {
	case r.GracePeriod < 0 && r.GracePeriod != dialect.Unlimited:
		return errors.New("rotation.grace_period must not be negative")
	case r.ReuseCount < 0:
		return errors.New("rotation.reuse_count must not be negative")
	case r.GraceAnswer != dialect.GraceSame && r.GraceAnswer != dialect.GraceNew:
		return fmt.Errorf("rotation.grace_answer %q is not one of same, new", r.GraceAnswer)
	case r.RevokeAccess && !r.RevokeFamily:
		return errors.New("rotation.revoke_access needs rotation.revoke_family")
	}
	return nil
}
