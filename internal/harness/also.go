package harness

import (
	"fmt"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"

	"github.com/refreshspec/refreshspec/catalogue"
)

// AlsoFailedEntry holds an AlsoFailed: a failure of one scenario found
// while the spec of another ran.
const AlsoFailedEntry = "refreshspec-also-failed"

// AlsoFailed is the value of an AlsoFailedEntry. Message is the whole
// failure as the spec reported it, the ID and level in front.
type AlsoFailed struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	// Level is the level of the part of the scenario that failed, when it
	// is not the scenario's own (FailPart): a SHOULD part of a MUST.
	Level catalogue.Level `json:"level,omitempty"`
}

// FailFor reports a failure of scenario id found while another spec runs,
// as the checks that watch the whole run find them: P8.4's leak scan after
// every spec, P1.2's look at every Set-Cookie of the session. The running
// spec fails (in an AfterEach, after its own body), so that a suite of
// one's own sees it; an AlsoFailedEntry lets the runner put the failure on
// id, where it belongs, and keep the running spec's own verdict. At a level
// that does not fail the run (SHOULD without strict), only the entry is
// written.
func FailFor(id string, strict bool, message string) {
	s := catalogue.MustLookup(id)
	failFor(s, s.Level, strict, message)
}

func failFor(s catalogue.Scenario, level catalogue.Level, strict bool, message string) {
	full := fmt.Sprintf("%s (%s): %s", s.ID, level, message)
	also := AlsoFailed{ID: s.ID, Message: full}
	if level != s.Level {
		also.Level = level
	}
	ginkgo.AddReportEntry(AlsoFailedEntry, also)
	ginkgo.GinkgoWriter.Print(alsoFailedEcho(full))
	if level.FailsRun(strict) {
		ginkgo.Fail(full, 2)
	}
}

// FailPart reports a failure of one part of scenario id whose level is not
// the scenario's: the SHOULD part of a scenario whose text has a MUST and
// a SHOULD (P8.9). The scenario is listed at its highest level; a part
// fails the run as its own level says, and its message names that level
// ("P8.9 (SHOULD): ..."). In the scenario's own spec (its body, or an
// AfterEach of it) a part that fails the run fails the spec, and one that
// does not is recorded as a Verdict of its level; found during another
// spec, it is reported as FailFor reports it.
func FailPart(id string, level catalogue.Level, strict bool, message string) {
	s := catalogue.MustLookup(id)
	if ID() != s.ID {
		failFor(s, level, strict, message)
		return
	}
	full := withNotes(fmt.Sprintf("%s (%s): %s", s.ID, level, message))
	if level.FailsRun(strict) {
		ginkgo.Fail(full, 1)
	}
	v := Verdict{Level: level, Failed: true, Message: full}
	ginkgo.AddReportEntry(VerdictEntry, v)
	ginkgo.GinkgoWriter.Print(verdictEcho(s, v))
}

// notes are what every failure of the running spec should carry besides
// its own message: what the spec did to the target that the assertion does
// not say (a restart with other settings).
var notes struct {
	mu   sync.Mutex
	list []string
}

// Note adds text to every failure the running scenario reports from now
// on, in parentheses after the message: "after restart 1 (COOKIE_SECURE=true)".
// The notes are dropped when the next scenario starts.
func Note(text string) {
	notes.mu.Lock()
	defer notes.mu.Unlock()
	notes.list = append(notes.list, text)
}

func resetNotes() {
	notes.mu.Lock()
	defer notes.mu.Unlock()
	notes.list = nil
}

// withNotes is message with the running scenario's notes after it, and
// without the newline Gomega ends a description with.
func withNotes(message string) string {
	notes.mu.Lock()
	defer notes.mu.Unlock()
	message = strings.TrimRight(message, "\n")
	if len(notes.list) == 0 {
		return message
	}
	return message + "\n(" + strings.Join(notes.list, "; ") + ")"
}
