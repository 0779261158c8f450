package browsersuite

import (
	"fmt"
	"strings"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

func routes(es []control.Entry) []control.Route {
	out := make([]control.Route, len(es))
	for i, e := range es {
		out[i] = e.Route
	}
	return out
}

func outcomes(es []control.Entry, route control.Route) []control.Outcome {
	var out []control.Outcome
	for _, e := range es {
		if e.Route == route {
			out = append(out, e.Outcome)
		}
	}
	return out
}

func formatJournal(es []control.Entry) string {
	if len(es) == 0 {
		return "  (nothing)\n"
	}
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  #%d %s -> %d %s", e.Seq, e.Route, e.Status, e.Outcome)
		if e.Family != "" {
			fmt.Fprintf(&b, " family=%s gen=%d", e.Family, e.Generation)
		}
		if e.Token != "" {
			fmt.Fprintf(&b, " %s=%s", e.TokenKind, control.Fingerprint(e.Token))
		}
		b.WriteString("\n")
	}
	return b.String()
}
