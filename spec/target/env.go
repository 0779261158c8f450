package target

import (
	"slices"
	"strings"

	"github.com/refreshspec/refreshspec/profile"
)

// environment is env, keyed by the contract's names, under the names the
// target reads (names): a contract variable the profile renames is passed
// under its new name, one it names "none" (a target whose cookie depends on
// no SESSION_SECRET) is not passed at all, and the others go as they are.
func environment(env map[string]string, names profile.EnvNames) map[string]string {
	rename := map[string]string{
		EnvBackendURL: names.BackendURL, EnvPort: names.Port,
		EnvSessionSecret: names.SessionSecret, EnvCookieSecure: names.CookieSecure,
		EnvBackendTimeout: names.BackendTimeout,
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		switch n := rename[k]; n {
		case "":
		case profile.NoVariable:
			continue
		default:
			k = n
		}
		out[k] = v
	}
	return out
}

// changed names the variables a restart sets, for its errors: "COOKIE_SECURE,
// SESSION_SECRET". Values stay out, since a secret is among them.
func changed(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
