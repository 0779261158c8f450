package mutant

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Dir is where the patches live, relative to the module root: one
// <name>.patch per mutant.
const Dir = "reference/mutants"

// Mutant is one deliberate defect of the reference proxy: a patch against
// its sources, and the scenario that must catch it.
type Mutant struct {
	Name     string // "retry-loop": the patch's file name without .patch
	Scenario string // the scenario ID that must catch it, such as "P3.1"
	Defect   string // what is wrong, in one line
	Why      string // why it is a realistic bug
	// Suite is the suite whose run must catch it ("P", "W"): the
	// scenario's own, unless the header's optional Suite key says
	// otherwise (a token that only the page's own requests show is P8.4's,
	// and only the browser suite loads the page).
	Suite string
	Patch *Patch
}

// The header keys, in the order a patch gives them.
const (
	keyMutant   = "Mutant"
	keyScenario = "Scenario"
	keyDefect   = "Defect"
	keyWhy      = "Why"
	keySuite    = "Suite" // optional
)

var scenarioID = regexp.MustCompile(`^[A-Z][0-9]+\.[0-9]+$`)

// Parse reads a mutant from its patch file's content; file names it in
// errors and gives its name (file's base name without ".patch"). The patch's
// preamble is its header, "Key: value" lines (a line that begins with a
// space continues the value above):
//
//	Mutant: retry-loop
//	Scenario: P3.1
//	Defect: up to 5 attempts, refreshing before each
//	Why: "retry until it works" is the obvious fix when one retry seems
//	  not enough, and each round burns a refresh token.
//
// All four keys are required, and no other key is allowed but the optional
// "Suite: W" (the suite whose run must catch it, when not the scenario's
// own), so that a typo does not drop a field silently.
func Parse(file string, data []byte) (*Mutant, error) {
	patch, preamble, err := ParsePatch(filepath.Base(file), data)
	if err != nil {
		return nil, err
	}
	fields, err := parseHeader(preamble)
	if err != nil {
		return nil, fmt.Errorf("mutant: %s: %w", file, err)
	}
	m := &Mutant{
		Name:     strings.TrimSuffix(filepath.Base(file), ".patch"),
		Scenario: fields[keyScenario],
		Defect:   fields[keyDefect],
		Why:      fields[keyWhy],
		Suite:    fields[keySuite],
		Patch:    patch,
	}
	for _, k := range []string{keyMutant, keyScenario, keyDefect, keyWhy} {
		if fields[k] == "" {
			return nil, fmt.Errorf("mutant: %s: the header has no %q line", file, k+":")
		}
	}
	if fields[keyMutant] != m.Name {
		return nil, fmt.Errorf("mutant: %s: the header names the mutant %q, but the file is %s.patch", file, fields[keyMutant], m.Name)
	}
	if !scenarioID.MatchString(m.Scenario) {
		return nil, fmt.Errorf("mutant: %s: Scenario %q is not a scenario ID such as P2.1", file, m.Scenario)
	}
	switch m.Suite {
	case "":
		m.Suite = m.Scenario[:1]
	case "P", "W":
	default:
		return nil, fmt.Errorf("mutant: %s: Suite %q is not P or W", file, m.Suite)
	}
	return m, nil
}

func parseHeader(lines []string) (map[string]string, error) {
	fields := map[string]string{}
	last := ""
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			last = ""
		case l[0] == ' ' || l[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("line %d: %q continues no header line", i+1, l)
			}
			fields[last] += " " + strings.TrimSpace(l)
		default:
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not a \"Key: value\" header line", i+1, l)
			}
			switch k {
			case keyMutant, keyScenario, keyDefect, keyWhy, keySuite:
			default:
				return nil, fmt.Errorf("line %d: unknown header key %q (want Mutant, Scenario, Defect, Why, and optionally Suite)", i+1, k)
			}
			if _, dup := fields[k]; dup {
				return nil, fmt.Errorf("line %d: %q given twice", i+1, k)
			}
			fields[k], last = strings.TrimSpace(v), k
		}
	}
	return fields, nil
}

// Load reads every mutant of the module at root (Dir/*.patch), ordered by
// scenario, then name.
func Load(root string) ([]*Mutant, error) {
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(Dir), "*.patch"))
	if err != nil {
		return nil, fmt.Errorf("mutant: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("mutant: no patch in %s", filepath.Join(root, filepath.FromSlash(Dir)))
	}
	ms := make([]*Mutant, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("mutant: %w", err)
		}
		m, err := Parse(f, data)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *Mutant) int {
		if c := compareIDs(a.Scenario, b.Scenario); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ms, nil
}

// Find returns the mutant called name; the error lists the names there are.
func Find(ms []*Mutant, name string) (*Mutant, error) {
	names := make([]string, len(ms))
	for i, m := range ms {
		if m.Name == name {
			return m, nil
		}
		names[i] = m.Name
	}
	return nil, fmt.Errorf("mutant: no mutant %q in %s; there are: %s", name, Dir, strings.Join(names, ", "))
}

// ForSuite returns the mutants that a run of one suite ("P", "W", "B")
// must catch (Mutant.Suite), in order.
func ForSuite(ms []*Mutant, letter string) []*Mutant {
	var out []*Mutant
	for _, m := range ms {
		if m.Suite == letter {
			out = append(out, m)
		}
	}
	return out
}

// compareIDs orders scenario IDs as the catalogue does within a suite:
// P1.2 before P1.10.
func compareIDs(a, b string) int {
	if c := strings.Compare(a[:1], b[:1]); c != 0 {
		return c
	}
	pa, pb := strings.Split(a[1:], "."), strings.Split(b[1:], ".")
	for i := range min(len(pa), len(pb)) {
		na, _ := strconv.Atoi(pa[i])
		nb, _ := strconv.Atoi(pb[i])
		if na != nb {
			return na - nb
		}
	}
	return len(pa) - len(pb)
}

// FromModule loads the mutants of the module that the working directory is
// in, and returns them with the module's root, which Build takes.
func FromModule(ctx context.Context) (root string, ms []*Mutant, err error) {
	if root, err = Root(ctx); err != nil {
		return "", nil, err
	}
	ms, err = Load(root)
	return root, ms, err
}

// Root is the root directory of the main module that the working directory
// is in (where go.mod is), which Load and Build take.
func Root(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("mutant: go env GOMOD: %w", err)
	}
	gomod := string(bytes.TrimSpace(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("mutant: the working directory is not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}
