package suitetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/refreshspec/refreshspec/internal/mutant"
)

// ReferencePackage is the reference proxy's command.
const ReferencePackage = "github.com/refreshspec/refreshspec/cmd/reference"

// EnvReferenceBin names a reference binary for a suite run to start instead
// of building one: a mutation test hands each child run the mutant it built.
const EnvReferenceBin = "REFRESHSPEC_REFERENCE_BIN"

// BuildReference builds the correct reference proxy into dir, a plain go
// build, and returns the binary's path.
func BuildReference(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "reference")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ReferencePackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", ReferencePackage, err, out)
	}
	return bin, nil
}

// ReferenceBinary is the reference a suite run starts: the binary that
// EnvReferenceBin names, else the mutant that EnvMutant names built from its
// patch (internal/reference/mutants/<name>.patch), else the correct reference; a
// build goes into dir.
func ReferenceBinary(ctx context.Context, dir string) (string, error) {
	if bin := os.Getenv(EnvReferenceBin); bin != "" {
		return bin, nil
	}
	name := os.Getenv(EnvMutant)
	if name == "" {
		return BuildReference(ctx, dir)
	}
	root, ms, err := mutant.FromModule(ctx)
	if err != nil {
		return "", err
	}
	m, err := mutant.Find(ms, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvMutant, err)
	}
	return mutant.Build(ctx, root, mutant.ReferenceCommand, m, dir)
}

// Mutants returns the reference's mutants that a scenario of suite ("P" or
// "W") must catch, with the module's root, which mutant.Build takes. None is
// an error: a mutation test that runs nothing proves nothing.
func Mutants(ctx context.Context, suite string) (root string, ms []*mutant.Mutant, err error) {
	root, all, err := mutant.FromModule(ctx)
	if err != nil {
		return "", nil, err
	}
	if ms = mutant.ForSuite(all, suite); len(ms) == 0 {
		return "", nil, fmt.Errorf("no mutant in %s names a %s scenario", mutant.Dir, suite)
	}
	return root, ms, nil
}

// FocusScenario is the Ginkgo focus (-ginkgo.focus) that runs only the spec
// of scenario id, whose name begins with the ID ("P2.1 page request ...").
func FocusScenario(id string) string {
	return `(^| )` + regexp.QuoteMeta(id) + ` `
}

// ShellQuote quotes s as one word for `sh -c`, which is how a process target
// runs its command: a temporary directory's path may hold spaces or quotes.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
