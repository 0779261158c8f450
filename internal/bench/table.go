package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Verdicts of a table line. A line without a target has none.
const (
	verdictMet    = "met"
	verdictMissed = "MISSED"
	verdictFailed = "FAILED" // a correctness check of the row failed
)

// row is one row of the table: a title line, then one line per measured
// value, its target and whether the target was met.
type row struct {
	num     int
	title   string
	lines   []line
	took    time.Duration
	skipped string // "not available: <reason>" when the row could not run
}

type line struct{ label, value, target, verdict string }

func (r *row) add(label, value, target, verdict string) {
	r.lines = append(r.lines, line{label, value, target, verdict})
}

// fail reports that the row could not be measured, and why.
func (r row) fail(err error) row {
	r.skipped = "not available: " + err.Error()
	return r
}

// note adds how many rounds ran when fewer than asked did (the row's bound).
func (r *row) note(rs []roundResult) {
	r.add("rounds measured", fmt.Sprint(len(rs)), "", "")
}

func verdict(ok bool) string {
	if ok {
		return verdictMet
	}
	return verdictMissed
}

// ms formats a duration in milliseconds with two decimals, the scale of
// loopback latencies.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// mib formats kibibytes (as /proc reports them) in MiB.
func mib(kib int64) string {
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// writeTable prints the rows as one table: a title line per row, then its
// lines with the label, value, target and verdict columns aligned across
// the whole table.
func writeTable(w io.Writer, rows []row, header string) error {
	widths := [3]int{len("measurement"), len("value"), len("target")}
	for _, r := range rows {
		for _, l := range r.lines {
			for i, cell := range []string{l.label, oneLine(l.value), l.target} {
				widths[i] = max(widths[i], utf8.RuneCountInString(cell))
			}
		}
	}
	var b strings.Builder
	pad := func(s string, n int) string {
		return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
	}
	cells := func(label, value, target, verdict string) {
		b.WriteString(strings.TrimRight("     "+pad(label, widths[0])+"  "+pad(value, widths[1])+"  "+pad(target, widths[2])+"  "+verdict, " "))
		b.WriteByte('\n')
	}
	b.WriteString(header + "\n")
	cells("measurement", "value", "target", "verdict")
	for _, r := range rows {
		fmt.Fprintf(&b, "%d.  %s  [%.1fs]\n", r.num, r.title, r.took.Seconds())
		if r.skipped != "" {
			cells(oneLine(r.skipped), "", "", "")
		}
		for _, l := range r.lines {
			cells(l.label, oneLine(l.value), l.target, l.verdict)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps an error's text on one table line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " | ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
