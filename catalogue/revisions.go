package catalogue

// Revision records a change to the catalogue's requirements: the IDs stay, the
// text moved. Users who pinned an ID read here why its verdict may have changed.
type Revision struct {
	Date    string   // YYYY-MM-DD
	Why     string   // what prompted the revision
	Changes []Change // what changed, ID by ID
	Added   []string // IDs new in this revision
}

// Change is one clarified requirement (or group of them) of a revision.
type Change struct {
	IDs  []string // scenario IDs ("P2.1") or whole groups ("P6")
	What string
}

// revisions are newest first.
var revisions = []Revision{{
	Date: "2026-12-07",
	Why: "Sharpened after apps written as teams write them (sessions carried by several cookies, prefixed " +
		"names, a retry refused with the rotated session kept) and field-style bugs the catalogue did not " +
		"cover (logout and caching, a client left waiting past the timeout); and identity providers answer " +
		"the reuse of a rotated refresh token differently (Auth0's reuse interval, Okta's grace period, " +
		"Keycloak's max reuse, Ory Hydra's grace period and reuse count, Cognito's retry grace period), " +
		"which decides whether an app's race logs users out.",
	Changes: []Change{
		{[]string{"P1.2"}, "the session may be carried by several cookies (a `__Secure-` or `__Host-` prefix and its rules, a `NAME.sig` companion, chunks `NAME.0`, `NAME_0`); every cookie of the set is checked and sent back, and of two Set-Cookies of one name in a response the last counts, as in a browser (the duplicate is reported)."},
		{[]string{"P3.1"}, "the failure outcome is spelled out: the api route answers 4xx, the page redirects to `/login` or renders an error page, never a 200; the client may end without a session or keep the rotated one, never the pre-rotation tokens; the next request makes no refresh."},
		{[]string{"P6.2"}, "the client's answer is due within `BACKEND_TIMEOUT` plus a slack (1 s or half the timeout, whichever is larger): a target that waits twice its timeout fails."},
		{[]string{"P8.3"}, "the reseal may set the session's signature alone (a `NAME.sig` companion signed again under the new key, the session id unchanged, as Koa's cookies module does); the set it gives must open under the new key alone."},
		{[]string{"P8.7"}, "new: logout ends the session locally when the backend's logout fails (5xx, timeout, dropped connection)."},
		{[]string{"P8.8"}, "new: a GET on the logout path (a cross-site `<img>`) does not end the session."},
		{[]string{"P8.9"}, "new: no response that sets the session cookie or carries the user's data is storable by a shared cache (MUST); each says `private` or `no-store` (its SHOULD part, failing the run only with `--strict`)."},
		{[]string{"P1.4"}, "every cookie of the session's set stays under 4096 bytes after 20 rotations as well as at login, and a session that grows with every rotation fails."},
		{[]string{"P1.5"}, "new: a login starts a new session; the cookie the client held before it (the login page's, or another client's session planted in it) opens nothing of the new login."},
		{[]string{"P1.6"}, "new: the session cookie lives as long as the session can (a browser-session cookie, or one that lasts the refresh token's lifetime or the profile's `proxy.session_lifetime`), not as long as the access token."},
		{[]string{"P8.1"}, "one byte is flipped at the start, in the middle and at the end of the value; a well-formed but unsealed session (base64 or base64url JSON holding real tokens the backend issued to another session, in the shapes apps write) must be anonymous too."},
		{[]string{"P8.4"}, "the leak scan also fetches, signed in, after login and after a refresh, the session endpoints a profile lists (`proxy.session_endpoints`; by default the common ones that exist: `/api/auth/session`, `/auth/session`), and scans every body and header."},
		{[]string{"P8.10"}, "new: no issued token in the target's own output (stdout and stderr, when the suite starts the target); skipped with the reason for a target given by URL."},
		{[]string{"P4.3", "P7.3", "P7.4"}, "the measurement names the rotation the backend serves; under a provider's rotation (`--backend-rotation`) P7.3 and P7.4 run under its rules instead of setting the grace window themselves, and P7.3 also measures a straggler with the pre-rotation cookie."},
		{[]string{"P7.1"}, "the concurrent requests mix the route kinds (page, api, update), each judged as its kind succeeds: a refresh shared per path or per request, rather than per refresh token, fails."},
		{[]string{"P7.2"}, "one session's refresh hanging past `BACKEND_TIMEOUT` must not hold up another session's: a lock shared by every session fails."},
		{[]string{"P7.5"}, "new: a client that hangs up while its request is refreshing fails neither the requests waiting on the same refresh nor the rotation."},
	},
	Added: []string{"P1.5", "P1.6", "P7.5", "P8.7", "P8.8", "P8.9", "P8.10", "B2.14"},
}, {
	Date: "2026-11-29",
	Why: "Running the suite against stacks it was not written with (server-side session stores, " +
		"stock iron-session, logins behind CSRF protection, deployments behind a TLS-terminating " +
		"load balancer, OAuth 2.0 servers) showed checks that failed correct apps. Each requirement " +
		"below now says in full what it accepts, and the text rules: where a check is stricter than " +
		"its text, or looks at one kind of route where the text covers all, the check is wrong.",
	Changes: []Change{
		{[]string{"P1.2"}, "the attributes hold for every `Set-Cookie` that carries the session (login, rotation, reseal), and `Secure` is checked the way a TLS-terminating load balancer talks: plain HTTP with `X-Forwarded-Proto: https`."},
		{[]string{"P1.3"}, "only a JSON login must answer 401; a form login may answer 4xx, re-render its form or redirect to the login page. No session cookie in any case."},
		{[]string{"P2.1", "P2.2"}, "the retried resource may be called more than once, as long as every call carries the new access token; a server-side-session target may keep its cookie, and replaying it must present the new token."},
		{[]string{"P2.3"}, "the retry keeps the `Content-Type` too."},
		{[]string{"P3.1", "P3.2"}, "on page and api routes alike; a page does not turn a 403, 404, 429 or 500 into a redirect to `/login`."},
		{[]string{"P5.4"}, "redirects are allowed when they end on a 200 page within 5 hops with the session cleared; `/login` straight back to `/login` fails."},
		{[]string{"P6"}, "every check on page and api routes alike; 504 joins 502 and 503; the timeout is the target's own `BACKEND_TIMEOUT`; more malformed answers (no `refresh_token`, empty strings, `success:false`)."},
		{[]string{"P7.1"}, "staggered requests, and stragglers that still carry the pre-rotation cookie up to 2 s after the refresh, must not cause a second refresh; the check repeats, since races are flaky."},
		{[]string{"P8.1"}, "junk of several KB that holds no valid seal is anonymous; a valid seal with bytes appended is measured, not failed, when it opens to exactly its own session (stock iron-session reads up to its version suffix)."},
		{[]string{"P8.2"}, "with P8.3, skipped with the reason (never passed) for a server-side-session target whose sessions do not survive a restart or whose cookie does not depend on `SESSION_SECRET`."},
		{[]string{"P8.4"}, "in the browser group, every response the page loaded is scanned too."},
		{[]string{"P8.5"}, "the backend must see `/auth/logout` with the session's current refresh token."},
		{[]string{"B2.3"}, "a backend may declare a reuse leeway (Auth0's reuse interval); the rejection is checked after it."},
		{[]string{"B2.4", "B2.10"}, "the family's newest refresh token must stop working; whether its access token stops is measured, since JWT access tokens live until they expire. B2.10 covers RFC 7009 revocation in the OAuth 2.0 dialect."},
		{[]string{"B2.6"}, "415 is accepted for a body type the endpoint does not take."},
	},
	Added: []string{"P7.4"},
}}
