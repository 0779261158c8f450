package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// FakeBackendPackage is the import path of the fake backend's main package.
const FakeBackendPackage = "github.com/refreshspec/refreshspec/cmd/fakebackend"

// BuildBinary builds the fake backend as a static Linux binary
// (CGO_ENABLED=0 GOOS=linux) into outDir and returns its path, ready for
// WithStaticBinary. It runs the go command, so it works inside this module's
// source tree (its tests, make), not from an installed binary elsewhere.
func BuildBinary(ctx context.Context, outDir string) (string, error) {
	return BuildStatic(ctx, outDir, FakeBackendPackage)
}

// BuildStatic builds the main package pkg as a static Linux binary into
// outDir and returns its path.
func BuildStatic(ctx context.Context, outDir, pkg string) (string, error) {
	out := filepath.Join(outDir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	// GOOS=linux because the binary runs in a Linux container whatever the
	// host is; GOARCH stays the host's, which is the engine's in practice.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, output)
	}
	return out, nil
}
