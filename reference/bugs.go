package reference

import (
	"fmt"
	"strings"
)

// Bug names a deliberate defect the reference proxy can be switched into.
// The proxy suite's mutation self-test (issue 4) starts the reference once per
// bug and expects the scenario named beside each constant to fail: a suite
// that passes a mutant has a hole. A correct run sets none ("").
//
// Each bug lives at exactly one `cfg.Bug == BugX` check, so reading where a
// constant is used shows the whole defect.
type Bug string

// The deliberate defects, with the scenario (scenarios.md) that must catch each.
const (
	BugNone Bug = ""

	BugSignedOnlyCookie     Bug = "signed-only-cookie"      // P1.1: hash key only, the session JSON is readable in the cookie
	BugSignedZlibCookie     Bug = "signed-zlib-cookie"      // P1.1: the session is "."+base64url(zlib(json))+"."+hmac (Flask/Django style): signed, compressed, readable
	BugNoHTTPOnly           Bug = "no-httponly"             // P1.2: the cookie lacks HttpOnly
	BugCookieOnBadLogin     Bug = "cookie-on-bad-login"     // P1.3: a 401 login still sets a session cookie
	BugCookieBloat          Bug = "cookie-bloat"            // P1.4: the whole login answer plus padding is stored; the cookie exceeds 4096 bytes
	BugNoRetryPage          Bug = "no-retry-page"           // P2.1: a page redirects to /login after a successful refresh instead of retrying
	BugNoRetry              Bug = "no-retry"                // P2.2: an api route answers the 401 after refreshing, no retry
	BugBodyDroppedOnRetry   Bug = "body-dropped-on-retry"   // P2.3: the retry is sent with an empty body
	BugOldTokenOnRetry      Bug = "old-token-on-retry"      // P2.4: the retry presents the old access token
	BugRetryLoop            Bug = "retry-loop"              // P3.1: up to 5 attempts, refreshing before each
	BugRefreshOn403         Bug = "refresh-on-403"          // P3.2: a 403 from a resource is treated like a 401
	BugTokensNotSaved       Bug = "tokens-not-saved"        // P4.1: refreshes but sends no Set-Cookie
	BugRefreshTokenNotSaved Bug = "refresh-token-not-saved" // P4.2: the saved session has the new access token and the OLD refresh token

	BugSessionKeptAfterInvalidGrant Bug = "session-kept-after-invalid-grant" // P5.1: page redirects to /login but keeps the cookie
	BugAPI200AfterInvalidGrant      Bug = "api-200-after-invalid-grant"      // P5.2: api answers 200 {"success":false} and keeps the cookie
	BugRefreshWithoutSession        Bug = "refresh-without-session"          // P5.3: no session still goes to the backend, refreshing with an empty token
	BugLoginSelfRedirect            Bug = "login-self-redirect"              // P5.4: GET /login with a cookie that fails to unseal redirects to /login

	BugLogoutOn5xx                 Bug = "logout-on-5xx"                  // P6.1: a 5xx refresh answer destroys the session
	BugLogoutOnDrop                Bug = "logout-on-drop"                 // P6.2: a network error or timeout on refresh destroys the session
	BugMalformedOverwrites         Bug = "malformed-overwrites"           // P6.3: any 200 refresh answer is saved, even without tokens
	BugLogoutOn429                 Bug = "logout-on-429"                  // P6.4: a 429 refresh answer destroys the session
	BugNoRefreshLock               Bug = "no-refresh-lock"                // P7.1: every concurrent request refreshes on its own
	BugSharedRefreshAcrossSessions Bug = "shared-refresh-across-sessions" // P7.2: one refresh key for all sessions: a second session gets the first's tokens

	BugTamperedCookie500     Bug = "tampered-cookie-500"     // P8.1: a cookie that fails to unseal answers 500
	BugForeignCookieAccepted Bug = "foreign-cookie-accepted" // P8.2: the keys ignore SESSION_SECRET, so a cookie sealed under any secret opens
	BugNoKeyRotation         Bug = "no-key-rotation"         // P8.3: only the first secret unseals
	BugTokenInHeader         Bug = "token-in-header"         // P8.4: api responses carry X-Access-Token
	BugNoBackendLogout       Bug = "no-backend-logout"       // P8.5: logout clears the cookie but never tells the backend

	BugTokensInScriptCookie Bug = "tokens-in-script-cookie" // W1.2: login also sets a non-HttpOnly cookie "tokens" holding the access token
	BugNoClientRedirect     Bug = "no-client-redirect"      // W1.4: the profile page's #reload ignores a 401 instead of going to /login
)

// AllBugs lists every defect, in scenario order.
var AllBugs = []Bug{
	BugSignedOnlyCookie, BugSignedZlibCookie, BugNoHTTPOnly, BugCookieOnBadLogin, BugCookieBloat,
	BugNoRetryPage, BugNoRetry, BugBodyDroppedOnRetry, BugOldTokenOnRetry,
	BugRetryLoop, BugRefreshOn403,
	BugTokensNotSaved, BugRefreshTokenNotSaved,
	BugSessionKeptAfterInvalidGrant, BugAPI200AfterInvalidGrant, BugRefreshWithoutSession, BugLoginSelfRedirect,
	BugLogoutOn5xx, BugLogoutOnDrop, BugMalformedOverwrites, BugLogoutOn429,
	BugNoRefreshLock, BugSharedRefreshAcrossSessions,
	BugTamperedCookie500, BugForeignCookieAccepted, BugNoKeyRotation, BugTokenInHeader, BugNoBackendLogout,
	BugTokensInScriptCookie, BugNoClientRedirect,
}

// BugScenario maps each defect to the scenario ID that must catch it.
var BugScenario = map[Bug]string{
	BugSignedOnlyCookie: "P1.1", BugSignedZlibCookie: "P1.1", BugNoHTTPOnly: "P1.2", BugCookieOnBadLogin: "P1.3", BugCookieBloat: "P1.4",
	BugNoRetryPage: "P2.1", BugNoRetry: "P2.2", BugBodyDroppedOnRetry: "P2.3", BugOldTokenOnRetry: "P2.4",
	BugRetryLoop: "P3.1", BugRefreshOn403: "P3.2",
	BugTokensNotSaved: "P4.1", BugRefreshTokenNotSaved: "P4.2",
	BugSessionKeptAfterInvalidGrant: "P5.1", BugAPI200AfterInvalidGrant: "P5.2", BugRefreshWithoutSession: "P5.3", BugLoginSelfRedirect: "P5.4",
	BugLogoutOn5xx: "P6.1", BugLogoutOnDrop: "P6.2", BugMalformedOverwrites: "P6.3", BugLogoutOn429: "P6.4",
	BugNoRefreshLock: "P7.1", BugSharedRefreshAcrossSessions: "P7.2",
	BugTamperedCookie500: "P8.1", BugForeignCookieAccepted: "P8.2", BugNoKeyRotation: "P8.3", BugTokenInHeader: "P8.4", BugNoBackendLogout: "P8.5",
	BugTokensInScriptCookie: "W1.2", BugNoClientRedirect: "W1.4",
}

// ParseBug checks that name is one of AllBugs (or "" for none).
func ParseBug(name string) (Bug, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return BugNone, nil
	}
	for _, b := range AllBugs {
		if string(b) == name {
			return b, nil
		}
	}
	names := make([]string, len(AllBugs))
	for i, b := range AllBugs {
		names[i] = string(b)
	}
	return BugNone, fmt.Errorf("unknown bug %q; known: %s", name, strings.Join(names, ", "))
}
