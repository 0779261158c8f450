// Package control is the typed client of the fake backend's control API, and
// the wire types that the API and its client share.
//
// The control API is served on its own listener (loopback by default), apart
// from the backend API of contract.md §1, so that a target under test cannot
// reach it by accident. Specs use it to reset the backend, move its clock,
// expire or revoke token families, queue faults, and read what the backend
// saw (the journal), issued (tokens) and counted.
package control

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

// Route names a backend route the way the journal, the counts and the fault
// queue name it: its role, spelt as the method and path of contract.md §1
// whatever the backend's mapping (package dialect) calls it. Entry.Method
// and Entry.Path say what the request really used: with an oauth2 mapping, a
// password grant at POST /oauth/token is RouteLogin, a refresh_token grant
// there RouteRefresh, and a revocation RouteLogout.
type Route string

// The routes of contract.md §1.
const (
	RouteLogin   Route = "POST /auth/login"
	RouteRefresh Route = "POST /auth/refresh"
	RouteLogout  Route = "POST /auth/logout"
	RouteMe      Route = "GET /api/user/me"
	RouteProfile Route = "PATCH /api/user/profile"
	// RouteOther is what the journal records for a request no route matched.
	RouteOther Route = "other"
)

// Outcome is how the backend answered a request, as journaled and counted.
type Outcome string

// Outcomes the backend records. Each maps to one status and error code of
// contract.md §1, except the fault outcomes, which say a queued fault answered.
const (
	OutcomeOK                 Outcome = "ok"                  // 200
	OutcomeGrace              Outcome = "grace"               // 200, reuse of the previous refresh token inside the grace window
	OutcomeInvalidCredentials Outcome = "invalid_credentials" // 401 on login
	OutcomeInvalidRequest     Outcome = "invalid_request"     // 400 malformed body or missing field
	OutcomeInvalidGrant       Outcome = "invalid_grant"       // 401 unknown, expired or revoked refresh token
	OutcomeReuse              Outcome = "reuse"               // 401 invalid_grant: an already-used refresh token; the family is revoked
	OutcomeRateLimited        Outcome = "rate_limited"        // 429 with Retry-After
	OutcomeInvalidToken       Outcome = "invalid_token"       // 401 expired, unknown or revoked access token
	OutcomeMissingToken       Outcome = "missing_token"       // 401 no Bearer token
	OutcomeNotFound           Outcome = "not_found"           // 404 unknown route
	OutcomeMethodNotAllowed   Outcome = "method_not_allowed"  // 405
	OutcomeTooLarge           Outcome = "too_large"           // 413 body over 1 MiB
	OutcomeFault              Outcome = "fault"               // a queued fault answered (see Entry.Fault)
	// The oauth2 dialect's own (RFC 6749 §5.2).
	OutcomeInvalidClient        Outcome = "invalid_client"         // 401: client authentication failed
	OutcomeUnsupportedGrantType Outcome = "unsupported_grant_type" // 400: a grant_type the token endpoint does not take
	// OutcomeNotRevoked is a logout answered 200 that revoked nothing: the
	// token was not its family's current refresh token (an access token, a
	// refresh token already rotated away, an unknown one, or one whose
	// family was revoked already). A real backend answers such a logout 200
	// as well, and the session it meant to end goes on.
	OutcomeNotRevoked Outcome = "not_revoked"
)

// TokenKind says whether a token is an access or a refresh token.
type TokenKind string

// The two kinds of token.
const (
	Access  TokenKind = "access"
	Refresh TokenKind = "refresh"
)

// Duration is a time.Duration that travels in JSON as a Go duration string
// ("15m0s"), so the control API reads the way people write durations.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string ("90s") or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration: want a string such as \"15m\" or a number of seconds, got %s", b)
	}
	*d = Duration(time.Duration(secs * float64(time.Second)))
	return nil
}

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// RateLimit bounds refresh attempts per family and per client address within
// a sliding window. A bound that normal use never meets.
type RateLimit struct {
	Enabled    bool     `json:"enabled"`
	PerFamily  int      `json:"per_family"`  // attempts per family per window
	PerAddress int      `json:"per_address"` // attempts per client address per window
	Window     Duration `json:"window"`
}

// Settings are the run-time settings of the fake backend.
type Settings struct {
	AccessTTL   Duration  `json:"access_ttl"`
	RefreshTTL  Duration  `json:"refresh_ttl"`
	GraceWindow Duration  `json:"grace_window"`
	RateLimit   RateLimit `json:"rate_limit"`
	// Rotation is the rotation semantics in force (docs/providers.md);
	// its grace period is GraceWindow (Unlimited shows as 0 there).
	Rotation dialect.RotationRules `json:"rotation"`
}

// SettingsPatch changes some settings; nil fields stay as they are.
type SettingsPatch struct {
	AccessTTL   *Duration  `json:"access_ttl,omitempty"`
	RefreshTTL  *Duration  `json:"refresh_ttl,omitempty"`
	GraceWindow *Duration  `json:"grace_window,omitempty"`
	RateLimit   *RateLimit `json:"rate_limit,omitempty"`
	// Rotation replaces the rotation semantics; a GraceWindow in the same
	// patch then sets its grace period.
	Rotation *dialect.RotationRules `json:"rotation,omitempty"`
}

// ExpireRequest expires tokens now: the access (or refresh) tokens of one
// family, or of every family when Family is empty.
type ExpireRequest struct {
	Family string    `json:"family,omitempty"`
	Kind   TokenKind `json:"kind"`
}

// FaultKind says how a queued fault answers.
type FaultKind string

// The kinds of fault.
const (
	// FaultStatus answers with Fault.Status and a body shaped by Fault.Body.
	FaultStatus FaultKind = "status"
	// FaultDelay holds the request for Fault.Delay (or until the client goes
	// away), then, if the client is still there, answers normally.
	FaultDelay FaultKind = "delay"
	// FaultDrop closes the connection without an answer.
	FaultDrop FaultKind = "drop"
)

// FaultBody shapes the body of a FaultStatus answer.
type FaultBody string

// The shapes of a fault's body.
const (
	BodyJSON         FaultBody = "json"          // a well-formed error envelope ({"success":false,...}), or for a 200 a well-formed success
	BodyHTML         FaultBody = "html"          // an HTML page, as a proxy or load balancer in front of a backend sends
	BodyTruncated    FaultBody = "truncated"     // JSON cut off in the middle
	BodyMissingField FaultBody = "missing-field" // a success envelope without the access token
	// The bodies below are broken successes too (status 200 by default).
	BodyMissingRefresh FaultBody = "missing-refresh" // a success envelope without the refresh token
	BodyEmptyTokens    FaultBody = "empty-tokens"    // a success envelope whose access and refresh tokens are ""
	BodyNotSuccess     FaultBody = "success-false"   // both tokens present, but success is false
	BodyWrongTypes     FaultBody = "wrong-types"     // the access token a number, the refresh token an object
)

// Fault is queued for the next Count calls of Route; faults of one route are
// served in the order they were queued.
type Fault struct {
	Route  Route     `json:"route"`
	Count  int       `json:"count"` // default 1
	Kind   FaultKind `json:"kind"`
	Status int       `json:"status,omitempty"` // for FaultStatus
	Body   FaultBody `json:"body,omitempty"`   // for FaultStatus; default json
	Delay  Duration  `json:"delay,omitempty"`  // for FaultDelay
}

// Entry is one request as the backend journaled it.
type Entry struct {
	Seq    int       `json:"seq"` // 1, 2, 3... in arrival order; Reset starts again at 1
	Time   time.Time `json:"time"`
	Route  Route     `json:"route"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Remote string    `json:"remote"`
	// Token is the token the request presented (the Bearer token of a
	// resource call, the refresh_token of /auth/refresh or /auth/logout), in
	// full: the control API is for tests, and specs compare tokens.
	Token      string    `json:"token,omitempty"`
	TokenKind  TokenKind `json:"token_kind,omitempty"`
	Family     string    `json:"family,omitempty"`     // the family of the presented token, "" if unknown
	Generation int       `json:"generation,omitempty"` // 0 for the login's tokens, +1 per refresh
	Body       string    `json:"body,omitempty"`       // the request body as received (capped at 64 KiB)
	Status     int       `json:"status"`
	Outcome    Outcome   `json:"outcome"`
	Fault      FaultKind `json:"fault,omitempty"`
	// Issued lists the tokens this request issued (login, refresh), so a spec
	// can follow a family without reading the token list.
	Issued []Token `json:"issued,omitempty"`
	// Headers are the request's headers that decide how its body is read
	// and whom it speaks for, by their canonical names: Content-Type,
	// Content-Length (the length the request declared), Transfer-Encoding,
	// Accept, and Authorization, journaled as its scheme and the token's
	// fingerprint ("Bearer 1a2b3c4d"), never the token itself. A header the
	// request did not send is absent.
	Headers map[string]string `json:"headers,omitempty"`
}

// TokenState says whether a token still works.
type TokenState string

// The states of a token.
const (
	StateActive  TokenState = "active"
	StateUsed    TokenState = "used"    // a refresh token that was rotated away
	StateRevoked TokenState = "revoked" // its family was revoked (reuse, logout, control)
	StateExpired TokenState = "expired"
)

// Token is one token the backend issued.
type Token struct {
	Value      string     `json:"value"`
	Kind       TokenKind  `json:"kind"`
	Family     string     `json:"family"`
	Generation int        `json:"generation"`
	UserID     string     `json:"user_id"`
	IssuedAt   time.Time  `json:"issued_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	State      TokenState `json:"state"`
}

// Counts are request counts per route and outcome since the last reset.
type Counts map[Route]map[Outcome]int

// Total is the number of requests to route, whatever their outcome.
func (c Counts) Total(route Route) int {
	n := 0
	for _, v := range c[route] {
		n += v
	}
	return n
}

// Clock is the fake backend's notion of now: the real time plus an offset
// that AdvanceClock grows.
type Clock struct {
	Now    time.Time `json:"now"`
	Offset Duration  `json:"offset"`
}

// Stats describe the store, for the sweep and memory checks.
type Stats struct {
	Families       int `json:"families"`
	LiveFamilies   int `json:"live_families"`
	Tokens         int `json:"tokens"`
	JournalEntries int `json:"journal_entries"`
}

// Error is a control API error: on the wire, the JSON body the control API
// answers a failed call with; in a Go program, the error a Client returns for
// it, which callers inspect with errors.As (see Client).
type Error struct {
	Success bool   `json:"success"`
	Code    string `json:"error"` // "invalid_request", "unknown_family", "not_found", ...
	Message string `json:"message"`

	// Status is the HTTP status of the answer, Method and Path the call it
	// answered. Client fills them in; they are not part of the body.
	Status int    `json:"-"`
	Method string `json:"-"`
	Path   string `json:"-"`
}
