package proxysuite

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/leak"
	"github.com/refreshspec/refreshspec/spec/target"
)

// outputScenario is P8.10: no issued token in the target's own output. The
// targets the suite starts keep all they write (target.Transcript); after
// every spec the lines written since the last scan are scanned
// (suite.afterEach), which fails the spec during which a token appeared,
// naming P8.10; its own spec sums up the run so far.
const outputScenario = "P8.10"

// outputScan is where the scan of one target's output stands.
type outputScan struct {
	pos   int // bytes of the transcript scanned
	lines int // lines scanned, for line numbers
}

func (s *suite) outputSpec(strict func() bool) {
	harness.It(outputScenario, strict, s.noTokenInTargetOutput)
}

// P8.10. It drives one session through a login, a refresh and a logout
// first, so that the scan has something to look at when P8.10 is focused
// alone.
func (s *suite) noTokenInTargetOutput() {
	if len(s.transcripts()) == 0 {
		Skip("the suite did not start the target (it was given by URL), so it cannot read the target's output")
	}
	ss := s.newSession()
	login := ss.login()
	s.expire(login.Family)
	ss.api()
	ss.logout()
	Expect(s.collectTokens(s.ctx)).To(Succeed())
	found, lines := s.scanOutput()
	s.mu.Lock()
	leaks := append(append([]string(nil), s.outputLeaks...), found...)
	tokens := len(s.tokens)
	s.mu.Unlock()
	Expect(leaks).To(BeEmpty(), "no token the backend issued may appear in the target's own output (stdout and stderr; a short fingerprint is fine); found these")
	harness.Measured("scanned %d lines of the target's output for the %d tokens the backend issued", lines, tokens)
}

// checkOutput is the after-spec part of P8.10: the lines the targets wrote
// since the last scan, against every token issued so far.
func (s *suite) checkOutput() {
	if len(s.transcripts()) == 0 || harness.ID() == outputScenario {
		return // P8.10's own body scans what it got
	}
	found, _ := s.scanOutput()
	if len(found) == 0 {
		return
	}
	s.mu.Lock()
	for _, l := range found {
		s.outputLeaks = append(s.outputLeaks, harness.ID()+": "+l)
	}
	s.mu.Unlock()
	harness.FailFor(outputScenario, s.cfg.Strict, fmt.Sprintf("%s\nan issued token appeared in the target's own output during this spec:\n  %s",
		catalogue.MustLookup(outputScenario).Requirement, strings.Join(found, "\n  ")))
}

// scanOutput scans what the targets wrote since the last scan, and says
// where tokens appear and how many lines were scanned in all.
func (s *suite) scanOutput() (found []string, lines int) {
	transcripts := s.transcripts()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outputScans == nil {
		s.outputScans = map[*target.Transcript]*outputScan{}
	}
	for i, t := range transcripts {
		where := "the target's output"
		if len(transcripts) > 1 {
			where = fmt.Sprintf("the output of instance %d of the target", i+1)
		}
		sc := s.outputScans[t]
		if sc == nil {
			sc = &outputScan{}
			s.outputScans[t] = sc
		}
		text, next := t.Since(sc.pos)
		sc.pos = next
		if text != "" {
			ls := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			found = append(found, tokensInLines(where, sc.lines, ls, s.tokens)...)
			sc.lines += len(ls)
		}
		lines += sc.lines
	}
	return found, lines
}

// transcripts are the output of every target the suite started, each
// instance once; none for a target given by URL.
func (s *suite) transcripts() []*target.Transcript {
	var out []*target.Transcript
	for _, t := range append([]target.Target{s.cfg.Target}, s.cfg.Instances...) {
		if tr, ok := t.(target.Transcribed); ok && !slices.Contains(out, tr.Transcript()) {
			out = append(out, tr.Transcript())
		}
	}
	return out
}

// tokensInLines says which lines hold an issued token, as is or in a
// disguise leak.Decode sees through, the token shown as its fingerprint:
// "the target's output, line 12: refresh token 1a2b3c4d (family f1,
// generation 1)". The lines are numbered from after the first skipped.
func tokensInLines(where string, skipped int, lines []string, tokens map[string]control.Token) []string {
	var out []string
	for n, line := range lines {
		if len(line) < 8 {
			continue
		}
		d := leak.Decode(line)
		var here []string
		for tok, t := range tokens {
			if len(tok) >= 8 && d.Contain(tok) {
				here = append(here, fmt.Sprintf("%s, line %d: %s token %s (family %s, generation %d)", where, skipped+n+1, t.Kind, control.Fingerprint(tok), t.Family, t.Generation))
			}
		}
		slices.Sort(here)
		out = append(out, here...)
	}
	return out
}
