// Package target starts and reaches the proxy under test for the proxy suite
// (Target): a shell command the suite starts as a process
// (Process), a container image (Container), or a URL that is already
// running (URL).
//
// The targets the suite starts get the variables of contract.md §2 in their
// environment (BACKEND_URL, PORT, SESSION_SECRET, COOKIE_SECURE, plus
// BACKEND_TIMEOUT), renamed by the profile's env_names when the target reads
// others, and can be restarted with some of them changed: that is how the
// suite checks the Secure flag (P1.2), a foreign secret (P8.2) and key
// rotation (P8.3). A URL target cannot be restarted, and those checks are
// skipped with the reason.
//
// StartInstances starts several copies of a command or an image at once,
// sharing SESSION_SECRET and the rest of the environment: the deployment of
// several instances that P7.4 spreads a session over.
package target
