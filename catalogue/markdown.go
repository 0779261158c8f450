package catalogue

import (
	"fmt"
	"strings"
)

// DocsPath is where Markdown's output lives, relative to the module root.
const DocsPath = "docs/scenarios.md"

// suiteHeads introduce the three suites in docs/scenarios.md, in catalogue order.
var suiteHeads = []struct{ Letter, Title, Intro string }{
	{"P", "the proxy suite",
		"The implementation under test sits between the client and the backend. The suite drives it over HTTP with a cookie jar and decides from what reached the fake backend behind it."},
	{"W", "the browser suite",
		"The same target in a real headless Chromium, driven through its login form and its page elements."},
	{"B", "the backend suite",
		"Checks any backend's `/auth/*` against [contract.md](contract.md) §1: the half of the pattern that the proxy relies on."},
}

// levelMeanings say how each level counts, in the order docs/scenarios.md lists them.
var levelMeanings = []struct {
	Level   Level
	Meaning string
}{
	{Must, "a failure fails the run."},
	{Should, "reported; a failure fails the run only with `--strict`."},
	{Info, "measured and reported, never fails: how the target behaves where the pattern leaves a choice."},
}

const docsHead = `# Scenario catalogue

<!-- Generated from catalogue/ by ` + "`make docs`" + `: edit the catalogue, not this file. -->

Every check refreshspec makes, with a stable ID, a level and the requirement
that decides it. The IDs are the suite's public face: every spec name starts
with one, reports and ` + "`refreshspec list`" + ` print them, and users pin them in CI
(` + "`--skip P7.1`" + `). An ID that has shipped is never renumbered; a new one goes at
the end of its group.

## Levels

As in RFC 2119, and as h2spec's ` + "`--strict`" + `:

`

const docsDeciding = `
## How a check is decided

The fake backend journals every request it gets and every token it issues, so
most checks are decided by what reached the backend (counts, order, bodies,
which token was presented), not by guessing from the client's side. A failure
prints the requirement below and the backend's journal for that check.

The requirement text rules: where a check is stricter than its text, or looks
at one kind of route where the text covers all, the check is wrong.

The *seed* is the design the pattern comes from, "Automatic Token Refresh
Implementation": [pattern.md](pattern.md) tells the pattern and the failure
modes these checks catch, and [token-refresh-design.md](token-refresh-design.md)
keeps the design as written. A group marked *(seed: ...)* checks the seed's own
scenarios; the others go beyond it, to where apps that follow it break.
`

const docsTimeNote = `
## Checks that need time to pass

Checks that need time to pass (expiry) run against a real backend only where
its profile gives short TTLs or a way to expire tokens; elsewhere they are
reported as skipped with that reason, never as passed. Against the fake
backend, time passes on its clock: nothing sleeps.
`

// Markdown renders the whole of docs/scenarios.md from the catalogue: levels,
// suites, groups with their intros, every requirement in full, and the
// revisions. `refreshspec list --markdown` prints it and `make docs` writes it.
func Markdown() string {
	var b strings.Builder
	b.WriteString(docsHead)
	for _, l := range levelMeanings {
		fmt.Fprintf(&b, "- **%s**: %s\n", l.Level, l.Meaning)
	}
	b.WriteString(docsDeciding)
	for _, h := range suiteHeads {
		fmt.Fprintf(&b, "\n## %s: %s\n\n%s\n", h.Letter, h.Title, h.Intro)
		for _, g := range groups {
			if strings.HasPrefix(g.ID, h.Letter) {
				writeGroup(&b, g)
			}
		}
	}
	b.WriteString(docsTimeNote)
	writeRevisions(&b)
	return b.String()
}

func writeGroup(b *strings.Builder, g GroupInfo) {
	fmt.Fprintf(b, "\n### %s %s", g.ID, g.Title)
	if g.Origin != "" {
		fmt.Fprintf(b, " (%s)", g.Origin)
	}
	fmt.Fprintf(b, "\n\n%s\n\n", g.Intro)
	for _, s := range scenarios {
		if s.Group() == g.ID {
			fmt.Fprintf(b, "- **%s** %s *%s*: %s\n", s.ID, s.Level, s.Title, s.Requirement)
		}
	}
}

func writeRevisions(b *strings.Builder) {
	b.WriteString("\n## Revisions\n")
	for _, r := range revisions {
		fmt.Fprintf(b, "\n### %s\n\n%s\n\n", r.Date, r.Why)
		for _, c := range r.Changes {
			fmt.Fprintf(b, "- %s: %s\n", strings.Join(c.IDs, ", "), c.What)
		}
		if len(r.Added) > 0 {
			fmt.Fprintf(b, "- New: %s.\n", strings.Join(r.Added, ", "))
		}
	}
}
