package proxysuite

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// The proxy specs decide from what the fake backend journaled: which routes
// the target called, in which order, presenting which token.

// mark is the sequence number of the last journaled request, so that a spec
// can look at what happened after it.
func (s *suite) mark() int {
	GinkgoHelper()
	es := s.journal(0)
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Seq
}

// journal is what the backend journaled after sequence number since.
func (s *suite) journal(since int) []control.Entry {
	GinkgoHelper()
	es, err := s.backend().Journal(s.ctx, since)
	Expect(err).NotTo(HaveOccurred(), "reading the fake backend's journal")
	return es
}

// onRoutes is the entries of the given routes.
func onRoutes(es []control.Entry, routes ...control.Route) []control.Entry {
	var out []control.Entry
	for _, e := range es {
		for _, r := range routes {
			if e.Route == r {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// issuedTokens is the access and refresh token an entry issued.
func issuedTokens(e control.Entry) (access, refresh string) {
	for _, t := range e.Issued {
		switch t.Kind {
		case control.Access:
			access = t.Value
		case control.Refresh:
			refresh = t.Value
		}
	}
	return access, refresh
}

// withToken is the entries that presented any token.
func withToken(es []control.Entry) []control.Entry {
	var out []control.Entry
	for _, e := range es {
		if e.Token != "" {
			out = append(out, e)
		}
	}
	return out
}

// journalText renders entries one a line with tokens as fingerprints, for
// failure messages and the journal report entry.
func (s *suite) journalText(es []control.Entry) string {
	s.mu.Lock()
	known := make([]string, 0, len(s.tokens))
	for v := range s.tokens {
		known = append(known, v)
	}
	s.mu.Unlock()
	var b strings.Builder
	for _, e := range es {
		route := string(e.Route)
		if e.Route == control.RouteOther {
			// A call the profile's backend mapping does not serve: the
			// method and path say what the target expected of its backend.
			route = fmt.Sprintf("%s (%s %s)", e.Route, e.Method, e.Path)
		}
		fmt.Fprintf(&b, "  #%d %s %d %s", e.Seq, route, e.Status, e.Outcome)
		if e.Fault != "" {
			fmt.Fprintf(&b, " (fault %s)", e.Fault)
		}
		if e.Token != "" {
			fmt.Fprintf(&b, " presented %s %s family=%s gen=%d", e.TokenKind, control.Fingerprint(e.Token), e.Family, e.Generation)
		}
		if ct, ok := e.Headers["Content-Type"]; ok {
			fmt.Fprintf(&b, " content-type=%q", ct)
		}
		for _, t := range e.Issued {
			fmt.Fprintf(&b, " issued %s %s gen=%d", t.Kind, control.Fingerprint(t.Value), t.Generation)
			known = append(known, t.Value)
		}
		if e.Body != "" {
			body := e.Body
			if e.Token != "" {
				body = strings.ReplaceAll(body, e.Token, control.Fingerprint(e.Token))
			}
			for _, k := range known {
				if len(k) > 8 { // shorter strings would be replaced where they occur by chance
					body = strings.ReplaceAll(body, k, control.Fingerprint(k))
				}
			}
			fmt.Fprintf(&b, " body=%.200q", body)
		}
		b.WriteByte('\n')
	}
	if len(es) == 0 {
		b.WriteString("  (nothing)\n")
	}
	return b.String()
}

// cycle is what the backend saw for one request that needed a refresh: the
// resource call that met the 401, the refresh, and the retries: one or
// more resource calls after the refresh (a layout and a page that both
// fetch the user are fine), every one with the new access token.
type cycle struct {
	First, Refresh        control.Entry
	Retries               []control.Entry
	NewAccess, NewRefresh string
}

// expectRefreshCycle checks that the journal entries es (of one request)
// show the resource answered 401 for the old access token, then exactly one
// refresh presenting the old refresh token, then the resource again, once
// or more, every call presenting the access token that refresh issued.
func (s *suite) expectRefreshCycle(es []control.Entry, resource control.Route, login loginResult) cycle {
	GinkgoHelper()
	journal := s.journalText(es)
	refreshes := onRoutes(es, control.RouteRefresh)
	Expect(refreshes).To(HaveLen(1), "the backend should see exactly one POST /auth/refresh; it saw:\n%s", journal)
	var c cycle
	c.Refresh = refreshes[0]
	Expect(c.Refresh.Outcome).To(Equal(control.OutcomeOK), "the refresh should succeed; it saw:\n%s", journal)
	Expect(c.Refresh.Token == login.Refresh).To(BeTrue(), "the refresh should present the session's refresh token (%s); it saw:\n%s", control.Fingerprint(login.Refresh), journal)
	c.NewAccess, c.NewRefresh = issuedTokens(c.Refresh)

	var before []control.Entry
	for _, e := range onRoutes(es, resource) {
		if e.Seq < c.Refresh.Seq {
			before = append(before, e)
		} else {
			c.Retries = append(c.Retries, e)
		}
	}
	Expect(before).NotTo(BeEmpty(), "before the refresh the backend should see %s answered 401; it saw:\n%s", resource, journal)
	c.First = before[len(before)-1]
	Expect(c.First.Status).To(Equal(401), "the %s call before the refresh should be the one that met the expired token; it saw:\n%s", resource, journal)
	Expect(c.First.Token == login.Access).To(BeTrue(), "the first %s call should present the session's access token; it saw:\n%s", resource, journal)
	Expect(c.Retries).NotTo(BeEmpty(), "after the refresh the backend should see %s again (the retry); it saw:\n%s", resource, journal)
	for i, r := range c.Retries {
		Expect(r.Token == c.NewAccess).To(BeTrue(),
			"every %s call after the refresh should present the access token the refresh returned (%s), but call %d of %d presented %s; it saw:\n%s",
			resource, control.Fingerprint(c.NewAccess), i+1, len(c.Retries), control.Fingerprint(r.Token), journal)
	}
	return c
}

// ofFamily is the entries that presented a token of family, for a spec
// whose sessions run side by side.
func ofFamily(es []control.Entry, family string) []control.Entry {
	var out []control.Entry
	for _, e := range es {
		if e.Family == family {
			out = append(out, e)
		}
	}
	return out
}
