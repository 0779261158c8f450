package control

import (
	"strings"
	"testing"

	"github.com/onsi/gomega/format"
)

// A failure that prints journal entries or tokens (Gomega prints what a
// matcher got) shows fingerprints, never a whole token: not the one
// presented, not the ones issued, not one quoted in the body.
func TestGomegaPrintsNoWholeToken(t *testing.T) {
	presented := "refresh-token-presented-0123456789abcdef"
	access := "access-token-issued-0123456789abcdef"
	refresh := "refresh-token-issued-0123456789abcdef"
	e := Entry{
		Seq: 3, Method: "POST", Path: "/auth/refresh", Route: RouteRefresh, Status: 200, Outcome: OutcomeOK,
		Token: presented, TokenKind: Refresh, Family: "f-1", Generation: 1,
		Body:    `{"refresh_token":"` + presented + `"}`,
		Headers: map[string]string{"Content-Type": "application/json"},
		Issued:  []Token{{Value: access, Kind: Access, Family: "f-1", Generation: 2}, {Value: refresh, Kind: Refresh, Family: "f-1", Generation: 2}},
	}
	for what, v := range map[string]any{
		"an entry":             e,
		"a list of entries":    []Entry{e, e},
		"a token":              e.Issued[0],
		"a pointer to one":     &e,
		"a map holding them":   map[string][]Token{"f-1": e.Issued},
		"a struct holding one": struct{ First Entry }{e},
	} {
		out := format.Object(v, 0)
		for _, tok := range []string{presented, access, refresh} {
			if strings.Contains(out, tok) {
				t.Errorf("%s prints the whole token %q:\n%s", what, tok, out)
			}
		}
	}
	out := format.Object(e, 0)
	for _, want := range []string{Fingerprint(presented), Fingerprint(access), "POST /auth/refresh", "200 ok", "f-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the entry prints as %q, which lacks %q", out, want)
		}
	}
}
