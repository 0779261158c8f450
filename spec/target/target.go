package target

import (
	"context"
	"errors"
)

// Target is the proxy under test, as the suite sees it: a URL, and when the
// suite started it, a way to start it again with other settings. This package has
// the targets the suite starts or reaches; a team may write its own.
type Target interface {
	// URL is the target's base URL, such as "http://127.0.0.1:8080".
	URL() string
	// Restart stops the target and starts it again with the given variables
	// of contract.md §2 changed (keys are the contract's names:
	// SESSION_SECRET, COOKIE_SECURE); the others keep their values. A target
	// the suite did not start returns ErrNotRestartable, and the scenarios
	// that need a restart (P1.2's Secure check, P8.2, P8.3) are skipped with
	// that reason.
	Restart(ctx context.Context, env map[string]string) error
	// Env returns the variables of contract.md §2 the target runs with now,
	// by the contract's names; nil when the suite did not start it.
	Env() map[string]string
}

// ErrNotRestartable is returned by Target.Restart for a target the suite did
// not start.
var ErrNotRestartable = errors.New("the suite did not start this target, so it cannot restart it with other settings")
