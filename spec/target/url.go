package target

import (
	"context"
	"strings"
)

// URL is a target that is already running at a fixed base URL, such as
// "http://127.0.0.1:3000". The suite did not start it, so it cannot restart
// it, and it does not know the variables it runs with.
type URL string

var _ Target = URL("")

// URL is the base URL without a trailing slash.
func (u URL) URL() string { return strings.TrimRight(string(u), "/") }

// Restart returns ErrNotRestartable.
func (u URL) Restart(context.Context, map[string]string) error { return ErrNotRestartable }

// Env returns nil: the suite does not know how the target was started.
func (u URL) Env() map[string]string { return nil }
