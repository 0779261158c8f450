package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/catalogue"
	"github.com/refreshspec/refreshspec/internal/runner"
)

// The Surefire schema's elements: one testsuite per run, one testcase per
// scenario, classname "refreshspec.<group>" and name the spec name, so CI
// test views group the scenarios as the catalogue does.
type junitSuite struct {
	XMLName    xml.Name        `xml:"testsuite"`
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// WriteJUnit writes res as a Surefire JUnit XML document. A SHOULD failure
// outside strict mode is a <failure> too (its type says it is not fatal): it
// is a finding a team wants to see in its test view, while the exit code
// carries whether it fails the run. An INFO scenario that failed is not: INFO
// never fails the run, so it is a passing testcase whose <system-out> says
// what it could not measure.
func WriteJUnit(w io.Writer, res runner.Result) error {
	_, failed, skipped := res.Counts()
	for _, r := range res.Scenarios {
		switch {
		case r.State == runner.Failed && r.Accepted != "":
			failed-- // written as a skipped testcase, below
			skipped++
		case r.State == runner.Failed && r.Level == catalogue.Info:
			failed-- // written as a passing testcase, below
		}
	}
	s := junitSuite{
		Name:     "refreshspec " + suiteName(res.Suite),
		Tests:    len(res.Scenarios) + len(res.SuiteFailures),
		Failures: failed,
		Errors:   len(res.SuiteFailures),
		Skipped:  skipped,
		Time:     seconds(res.Duration),
		Properties: []junitProperty{
			{Name: "strict", Value: fmt.Sprint(res.Strict)},
			{Name: "conformant", Value: fmt.Sprint(res.Conformant())},
			{Name: "inconclusive", Value: fmt.Sprint(res.Inconclusive())},
			{Name: "verdict", Value: xmlSafe(Verdict(res))},
		},
	}
	if res.Interrupted != "" {
		s.Properties = append(s.Properties, junitProperty{Name: "interrupted", Value: xmlSafe(res.Interrupted)})
	}
	if stale := res.StaleAccepts(); len(stale) > 0 {
		s.Properties = append(s.Properties, junitProperty{Name: "stale_accepts", Value: strings.Join(stale, ",")})
	}
	if !res.Started.IsZero() {
		s.Timestamp = res.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, r := range res.Scenarios {
		c := junitCase{Name: r.Name(), Classname: "refreshspec." + r.Group(), Time: seconds(r.Duration)}
		var out []string
		for _, m := range r.Measured {
			out = append(out, "measured: "+m)
		}
		switch {
		case r.State == runner.Failed && r.Accepted != "":
			// Accepted: a known failure the run does not count. Skipped
			// shows it in a CI test view without turning the view red.
			c.Skipped = &junitSkipped{Message: xmlSafe("ACCEPTED: " + summaryLine(r.Accepted))}
			out = append(out, "ACCEPTED ("+r.Accepted+"); the failure: "+r.Message)
		case r.State == runner.Failed && r.Level == catalogue.Info:
			// An INFO scenario never fails the run: a <failure> would turn
			// CI test views red for a run that exits 0. What it could not
			// measure goes to its output instead.
			out = append(out, "INFO, never fails the run: "+r.Message)
			if j := strings.TrimSpace(r.Journal); j != "" {
				out = append(out, "what the spec recorded (backend journal):\n"+j)
			}
		case r.State == runner.Failed:
			typ := string(r.Level)
			if note := FailureNote(r); note != "" {
				typ += " (" + note + ")"
			}
			text := "requirement: " + r.Requirement + "\n\n" + r.Message
			if j := strings.TrimSpace(r.Journal); j != "" {
				text += "\n\nwhat the spec recorded (backend journal):\n" + j
			}
			c.Failure = &junitProblem{Message: xmlSafe(summaryLine(r.Message)), Type: typ, Text: xmlSafe(text)}
		case r.State == runner.Skipped:
			c.Skipped = &junitSkipped{Message: xmlSafe(r.Message)}
		}
		if len(out) > 0 {
			c.SystemOut = &junitText{xmlSafe(strings.Join(out, "\n"))}
		}
		s.Cases = append(s.Cases, c)
	}
	for i, f := range res.SuiteFailures {
		s.Cases = append(s.Cases, junitCase{
			Name: fmt.Sprintf("suite error %d", i+1), Classname: "refreshspec.suite", Time: "0",
			Error: &junitProblem{Message: xmlSafe(summaryLine(f)), Type: "suite", Text: xmlSafe(f)},
		})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func suiteName(letter string) string {
	switch letter {
	case "P":
		return "proxy (P)"
	case "PW":
		return "proxy and browser (P, W)"
	case "B":
		return "backend (B)"
	}
	return letter
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// summaryLine is a message on one line, shortened for an attribute or a
// table cell.
func summaryLine(s string) string {
	s = oneLine(s)
	const max = 240
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// xmlSafe drops the characters XML 1.0 cannot carry (control characters a
// target's answer may hold), which would make the whole report unreadable.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
