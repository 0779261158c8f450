package suitetest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// ReferencePackage is the reference proxy's command.
const ReferencePackage = "github.com/refreshspec/refreshspec/cmd/reference"

// BuildReference builds the reference proxy into dir with its deliberate
// bugs compiled in (-tags mutation), so that REFERENCE_BREAK can switch one
// on: one binary serves the correct run and every mutant. It returns the
// binary's path.
func BuildReference(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "reference")
	out, err := exec.CommandContext(ctx, "go", "build", "-tags", "mutation", "-o", bin, ReferencePackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build -tags mutation %s: %w\n%s", ReferencePackage, err, out)
	}
	return bin, nil
}

// ShellQuote quotes s as one word for `sh -c`, which is how a process target
// runs its command: a temporary directory's path may hold spaces or quotes.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
