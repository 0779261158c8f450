package control

import (
	"fmt"
	"sort"
	"strings"
)

// An Entry or a Token that a test hands to a Gomega matcher is printed in
// the failure when the matcher fails (Expect(entries).To(HaveLen(1)) prints
// every entry). The journal keeps whole tokens, for specs to compare; a
// failure message is read by people and lands in CI logs and reports, so
// these print tokens as Fingerprint does, never whole. Gomega looks for the
// GomegaString method on every value it formats, nested ones included.

// GomegaString is how a test failure shows the entry: its route, status
// and outcome, and every token in it (presented, issued, or quoted in its
// body) as a fingerprint.
func (e Entry) GomegaString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s → %d %s", e.Seq, e.Method, e.Path, e.Status, e.Outcome)
	if e.Route != "" && string(e.Route) != e.Method+" "+e.Path {
		fmt.Fprintf(&b, " (route %s)", e.Route)
	}
	if e.Fault != "" {
		fmt.Fprintf(&b, " fault=%s", e.Fault)
	}
	if e.Token != "" {
		fmt.Fprintf(&b, " presented %s %s family=%s gen=%d", e.TokenKind, Fingerprint(e.Token), e.Family, e.Generation)
	}
	for _, t := range e.Issued {
		fmt.Fprintf(&b, " issued %s %s gen=%d", t.Kind, Fingerprint(t.Value), t.Generation)
	}
	if len(e.Headers) > 0 {
		names := make([]string, 0, len(e.Headers))
		for k := range e.Headers {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&b, " %s=%q", k, e.Headers[k])
		}
	}
	if e.Body != "" {
		fmt.Fprintf(&b, " body=%.200q", e.hideTokens(e.Body))
	}
	return b.String()
}

// hideTokens replaces the entry's own tokens in s by their fingerprints.
func (e Entry) hideTokens(s string) string {
	for _, t := range e.Issued {
		s = hideToken(s, t.Value)
	}
	return hideToken(s, e.Token)
}

func hideToken(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, Fingerprint(token))
}

// GomegaString is how a test failure shows the token: its kind, family,
// generation and state, and its value as a fingerprint.
func (t Token) GomegaString() string {
	return fmt.Sprintf("%s token %s family=%s gen=%d %s", t.Kind, Fingerprint(t.Value), t.Family, t.Generation, t.State)
}
