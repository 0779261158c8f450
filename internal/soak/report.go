package soak

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is what one soak measured.
type Report struct {
	Duration          time.Duration
	Sessions, Workers int
	Seed              uint64
	ProxyPID          int
	SeparateProcess   bool

	Requests, API, Pages, Patches, Bursts int64
	OK, Passed429                         int64
	Relogins, LoginFailures               int64

	FaultsInjected      map[string]int // queued, by kind (a storm counts each call)
	FaultsInjectedTotal int
	FaultsConsumed      map[string]int // that answered a call, by route and kind
	FaultsConsumedTotal int

	Expiries      int // live access tokens expired (per family), all causes
	ExpireEvents  int // of which by control Expire of one family
	ClockAdvances int // AdvanceClock past every access token
	RefreshCalls  int // every /auth/refresh the backend saw
	RefreshOK     int // of which rotated
	// LiveFamilies are the families alive at the end; RefreshMismatches
	// those whose successful refreshes differ from their expiries.
	LiveFamilies, RefreshMismatches int

	Revoked          int   // families revoked on purpose
	RevokedLoggedOut int64 // answers that logged those out, as they must
	SessionsLost     int64 // logged out without a revocation

	Backend5xx      int64 // 502/503 answers
	Explained5xx    int64 // of which matched by an injected fault
	Unexpected5xx   int64 // other 5xx, and 502/503 no fault explains
	UnexpectedOther int64 // other surprising statuses (a 400, a 404)
	WrongUser       int64 // answers with another user's data
	// DivergentCookies counts bursts whose answers carried different
	// sessions: one refresh, one rotated cookie.
	DivergentCookies int64
	TransportErrors  int64 // requests without a (whole) answer
	JournalGaps      int   // journal entries dropped before the soak read them

	TokensIssued   int
	LeaksInAnswers int // distinct runs of answer text holding an issued token
	LeaksInLogs    int // proxy log lines holding one

	RSSStartKiB, RSSEndKiB, RSSPeakKiB int64

	Notes []string // the first unexpected answers and chaos errors
}

// Problems are the reasons this soak failed; none means it passed.
func (r *Report) Problems() []string {
	var out []string
	check := func(n int64, what string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, what))
		}
	}
	check(r.SessionsLost, "sessions lost")
	check(r.Unexpected5xx, "unexpected 5xx")
	check(int64(r.LeaksInAnswers), "token leaks in answers")
	check(int64(r.LeaksInLogs), "token leaks in the proxy's log")
	check(r.WrongUser, "answers with another user's data")
	check(int64(r.RefreshMismatches), "families whose refreshes differ from their expiries")
	check(r.DivergentCookies, "bursts with different session cookies")
	check(r.UnexpectedOther, "unexpected answers")
	check(r.TransportErrors, "requests without an answer")
	check(r.LoginFailures, "failed logins")
	check(int64(r.JournalGaps), "journal gaps")
	if r.Requests == 0 {
		out = append(out, "no request was sent")
	}
	return out
}

// Print writes the figures, one per line.
func (r *Report) Print(w io.Writer) {
	where := "in the soak's process (RSS includes the backend and the clients)"
	if r.SeparateProcess {
		where = "a separate process"
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("refreshsoak: %s, %d sessions, %d workers, seed %d; reference pid %d, %s",
		r.Duration.Round(time.Millisecond), r.Sessions, r.Workers, r.Seed, r.ProxyPID, where)
	p("  requests            %d (%.0f/s): api %d, pages %d, profile updates %d, bursts %d×4; re-logins %d",
		r.Requests, float64(r.Requests)/r.Duration.Seconds(), r.API, r.Pages, r.Patches, r.Bursts, r.Relogins)
	p("  faults injected     %d queued, %d answered a call", r.FaultsInjectedTotal, r.FaultsConsumedTotal)
	p("                      queued: %s", sortedCounts(r.FaultsInjected))
	p("                      answered: %s", sortedCounts(r.FaultsConsumed))
	p("  expiries            %d (per-family Expire %d, AdvanceClock %d times)", r.Expiries, r.ExpireEvents, r.ClockAdvances)
	p("  refresh calls       %d, of which rotated %d; one per expiry: %d of %d live families match",
		r.RefreshCalls, r.RefreshOK, r.LiveFamilies-r.RefreshMismatches, r.LiveFamilies)
	p("  revoked on purpose  %d families; logged out as they must: %d", r.Revoked, r.RevokedLoggedOut)
	p("  sessions lost       %d", r.SessionsLost)
	p("  502/503             %d, explained by injected faults %d", r.Backend5xx, r.Explained5xx)
	p("  unexpected 5xx      %d", r.Unexpected5xx)
	p("  other surprises     %d unexpected answers, %d wrong user, %d divergent bursts, %d without answer, %d 429 passed through",
		r.UnexpectedOther, r.WrongUser, r.DivergentCookies, r.TransportErrors, r.Passed429)
	p("  leak scan (P8.4)    %d tokens issued; %d found in answers, %d in the proxy's log", r.TokensIssued, r.LeaksInAnswers, r.LeaksInLogs)
	p("  proxy memory (RSS)  start %s, end %s, peak %s", kib(r.RSSStartKiB), kib(r.RSSEndKiB), kib(r.RSSPeakKiB))
	for _, n := range r.Notes {
		p("  note: %s", n)
	}
	if probs := r.Problems(); len(probs) > 0 {
		p("FAIL: %s", strings.Join(probs, "; "))
	} else {
		p("PASS")
	}
}

func kib(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/1024)
}

func sortedCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
