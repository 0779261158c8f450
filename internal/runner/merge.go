package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
)

// merged builds one scenario's result from its parts, one spec's at a time:
// the specs of the scenario itself (one, or a table's entries) and the
// failures of it that the checks watching the whole run found during the
// specs of others (harness.FailFor). Those checks run after every spec, so
// one defect (a rotated Set-Cookie without HttpOnly) is found again after
// each spec that rotates, in the same words: a finding adds only the lines
// no earlier part gave, and one that adds none is only named among the
// specs that found the same again.
//
// The scenario failed if any part failed, passed if any passed and none
// failed, and was skipped otherwise.
type merged struct {
	first    *ScenarioResult // the first part: ID, level, title, requirement
	failed   []string        // what each failed part adds to the message
	skipped  []string        // why each skipped part was skipped
	passed   bool
	shown    map[string]bool // the lines of failed, trimmed
	again    []string        // the scenarios during whose specs a finding added nothing
	journal  string          // the journals of the parts that added something
	measured []string
	location string
	duration time.Duration
	failsRun bool
}

// add takes one part and returns what it adds to the scenario's failure
// message: a failure's message, only the new lines of a finding, or ""
// when it adds nothing (it passed, was skipped, or repeats a finding).
func (m *merged) add(p ScenarioResult) string {
	if p.State == Failed && p.Level == catalogue.Info {
		// An INFO scenario measures and never fails: a spec of one that
		// failed (its set-up did, or a check after it) measured nothing,
		// so it is skipped, with the reason.
		p.State, p.FailsRun = Skipped, false
		p.Message = "not measured: " + p.Message
	}
	if m.first == nil {
		first := p
		m.first, m.shown = &first, map[string]bool{}
	}
	m.duration += p.Duration
	for _, x := range p.Measured {
		// A table's entries may note the same: once is enough.
		if !slices.Contains(m.measured, x) {
			m.measured = append(m.measured, x)
		}
	}
	switch p.State {
	case Passed:
		m.passed = true
		m.addJournal(p.Journal)
		return ""
	case Failed:
	default:
		m.skipped = append(m.skipped, p.Message)
		m.addJournal(p.Journal)
		return ""
	}
	m.failsRun = m.failsRun || p.FailsRun
	piece := p.Message
	if p.finding != nil {
		if piece = m.news(*p.finding); piece == "" {
			m.foundAgain(p.finding.during)
			return ""
		}
	} else {
		m.remember(strings.Split(piece, "\n"))
	}
	if m.location == "" {
		m.location = p.Location
	}
	m.failed = append(m.failed, piece)
	m.addJournal(p.Journal)
	return piece
}

// news is what finding f adds to the lines shown so far, as a part of the
// message ("found during P2.1: ..."), or "" when it adds nothing.
func (m *merged) news(f finding) string {
	lines := strings.Split(strings.TrimRight(f.message, "\n"), "\n")
	var fresh []string
	for _, l := range lines {
		if key := strings.TrimSpace(l); key != "" && !m.shown[key] {
			m.shown[key] = true
			fresh = append(fresh, l)
		}
	}
	switch {
	case len(fresh) == 0:
		return ""
	case fresh[0] == lines[0]:
		return fmt.Sprintf("found during %s: %s", f.during, strings.Join(fresh, "\n"))
	}
	// The finding's first line, the rule it checks, was shown: what is
	// new is what it saw.
	return fmt.Sprintf("found during %s:\n%s", f.during, strings.Join(fresh, "\n"))
}

func (m *merged) remember(lines []string) {
	for _, l := range lines {
		if key := strings.TrimSpace(l); key != "" {
			m.shown[key] = true
		}
	}
}

func (m *merged) foundAgain(during string) {
	if !slices.Contains(m.again, during) {
		m.again = append(m.again, during)
	}
}

func (m *merged) addJournal(j string) {
	if strings.TrimSpace(j) == "" {
		return
	}
	if m.journal != "" && !strings.HasSuffix(m.journal, "\n") {
		m.journal += "\n"
	}
	m.journal += j
}

// result is the scenario's result from the parts so far.
func (m *merged) result() ScenarioResult {
	if m.first == nil {
		return ScenarioResult{}
	}
	out := *m.first
	out.finding = nil
	out.Measured, out.Location, out.FailsRun = m.measured, m.location, m.failsRun
	out.Duration, out.Journal = m.duration, m.journal
	switch {
	case len(m.failed) > 0:
		out.State, out.Message = Failed, strings.Join(m.failed, "\n")
		if len(m.again) > 0 {
			out.Message += "\n" + againNote(m.again)
		}
	case m.passed:
		out.State, out.Message = Passed, ""
	default:
		out.State, out.Message = Skipped, strings.Join(m.skipped, "\n")
	}
	return out
}

// againNote names the scenarios during whose specs a failure already
// reported was found again.
func againNote(ids []string) string {
	list := ids[0]
	if n := len(ids); n > 1 {
		list = strings.Join(ids[:n-1], ", ") + " and " + ids[n-1]
	}
	return "the same was found again during " + list
}
