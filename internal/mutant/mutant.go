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
const Dir = "internal/reference/mutants"

// VariantsDir is where the correct variants live: patches that write a part
// of the reference another correct way, as real stacks do, which the
// scenario they name must pass. A check stricter than its requirement text
// fails one of them.
const VariantsDir = "internal/reference/variants"

// Mutant is one deliberate defect of the reference proxy: a patch against
// its sources, and the scenario that must catch it. A correct variant
// (Variant set) is read into the same type: a patch that changes the
// reference without breaking it, and the scenario that must pass it, what
// mutation testing calls an equivalent mutant.
type Mutant struct {
	Name string // "retry-loop": the patch's file name without .patch
	// Scenario is the scenario ID that must catch it (pass it, for a
	// variant), such as "P3.1"; a variant may name several, separated by
	// spaces ("P1.2 P2.1"), each of which must pass it (Scenarios).
	Scenario string
	Defect   string // what is wrong, in one line; for a variant, what it changes
	Why      string // why it is a realistic bug; for a variant, why it is correct
	// Variant says the patch is a correct variant, from VariantsDir.
	Variant bool
	// Suite is the suite whose run must catch it ("P", "W"): the
	// scenario's own, unless the header's optional Suite key says
	// otherwise (a token that only the page's own requests show is P8.4's,
	// and only the browser suite loads the page).
	Suite string
	// Profile is, for a variant, a profile file of VariantsDir (from the
	// optional "Profile:" header line) that the suite runs the variant
	// with, for a variant written as a real stack that names its routes or
	// defences its own way (ProfilePath); "" for the default profile.
	Profile string
	Patch   *Patch
}

// ProfilePath is the variant's profile file under the module at root, ""
// when it has none.
func (m *Mutant) ProfilePath(root string) string {
	if m.Profile == "" {
		return ""
	}
	return filepath.Join(root, filepath.FromSlash(VariantsDir), m.Profile)
}

// The header keys, in the order a patch gives them.
const (
	keyMutant   = "Mutant"
	keyScenario = "Scenario"
	keyDefect   = "Defect"
	keyWhy      = "Why"
	keySuite    = "Suite" // optional
	// keyProfile is a variant's optional profile, a file of VariantsDir.
	keyProfile = "Profile"
	// A correct variant's header says Variant, Scenario, Change and Why.
	keyVariant = "Variant"
	keyChange  = "Change"
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
// own), so that a typo does not drop a field silently. A correct variant's
// header says Variant, Scenario, Change and Why instead, and optionally
// "Profile: NAME.yaml", a profile beside it that the suite runs it with:
//
//	Variant: timeout-answers-504
//	Scenario: P6.2
//	Change: a refresh that timed out answers 504 Gateway Timeout
//	Why: a gateway that gave up waiting says 504; the text allows it.
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
		Profile:  fields[keyProfile],
		Patch:    patch,
	}
	nameKey, required := keyMutant, []string{keyMutant, keyScenario, keyDefect, keyWhy}
	if _, ok := fields[keyVariant]; ok {
		m.Variant, m.Defect = true, fields[keyChange]
		nameKey, required = keyVariant, []string{keyVariant, keyScenario, keyChange, keyWhy}
	}
	for k := range fields {
		if k == keyProfile && m.Variant {
			continue
		}
		if !slices.Contains(required, k) && k != keySuite {
			return nil, fmt.Errorf("mutant: %s: %q does not belong in a header that names a %s (want %s)", file, k+":", strings.ToLower(nameKey), strings.Join(required, ", "))
		}
	}
	for _, k := range required {
		if fields[k] == "" {
			return nil, fmt.Errorf("mutant: %s: the header has no %q line", file, k+":")
		}
	}
	if fields[nameKey] != m.Name {
		return nil, fmt.Errorf("mutant: %s: the header names the %s %q, but the file is %s.patch", file, strings.ToLower(nameKey), fields[nameKey], m.Name)
	}
	if m.Variant && len(m.Scenarios()) > 1 {
		// A variant may name several scenarios, each of which must pass
		// it; Scenario then holds them as written, the first leading.
		for _, id := range m.Scenarios() {
			if !scenarioID.MatchString(id) || id[:1] != m.Scenarios()[0][:1] {
				return nil, fmt.Errorf("mutant: %s: Scenario %q is not a list of scenario IDs of one suite such as P1.2 P2.1", file, m.Scenario)
			}
		}
	} else if !scenarioID.MatchString(m.Scenario) {
		return nil, fmt.Errorf("mutant: %s: Scenario %q is not a scenario ID such as P2.1", file, m.Scenario)
	}
	if m.Profile != "" && (filepath.Base(m.Profile) != m.Profile || !strings.HasSuffix(m.Profile, ".yaml")) {
		return nil, fmt.Errorf("mutant: %s: Profile %q is not the name of a .yaml file beside the patch", file, m.Profile)
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
			case keyMutant, keyScenario, keyDefect, keyWhy, keySuite, keyVariant, keyChange, keyProfile:
			default:
				return nil, fmt.Errorf("line %d: unknown header key %q (want Mutant, Scenario, Defect, Why, and optionally Suite; or, for a correct variant, Variant, Scenario, Change, Why, and optionally Profile)", i+1, k)
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
func Load(root string) ([]*Mutant, error) { return loadDir(root, Dir, false) }

// LoadVariants reads every correct variant of the module at root
// (VariantsDir/*.patch), ordered by scenario, then name.
func LoadVariants(root string) ([]*Mutant, error) { return loadDir(root, VariantsDir, true) }

// loadDir reads the patches of dir, each of which must be a variant or a
// mutant as variant says.
func loadDir(root, dir string, variant bool) ([]*Mutant, error) {
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.patch"))
	if err != nil {
		return nil, fmt.Errorf("mutant: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("mutant: no patch in %s", filepath.Join(root, filepath.FromSlash(dir)))
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
		if m.Variant != variant {
			return nil, fmt.Errorf("mutant: %s: a patch in %s must have a %s header", f, dir, map[bool]string{true: "Variant", false: "Mutant"}[variant])
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *Mutant) int {
		if c := compareIDs(a.Scenarios()[0], b.Scenarios()[0]); c != 0 {
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

// Scenarios are the IDs Scenario names: one for a mutant, one or more for a
// correct variant.
func (m *Mutant) Scenarios() []string { return strings.Fields(m.Scenario) }
