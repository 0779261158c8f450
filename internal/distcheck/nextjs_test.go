package distcheck

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNpxProxyNextJS does what a Next.js team's CI does with the npm
// package, from the Next.js example's folder: npm ci and next build (as
// the example's own test does), the refreshspec packages installed with
// npm install --no-save, and `npx refreshspec proxy --profile
// refreshspec.yaml --backend local`, as the example's README says. The run
// must end conformant, exit 0. The folder is a copy, so that the examples'
// own test can build the original at the same time.
func TestNpxProxyNextJS(t *testing.T) {
	t.Parallel()
	skipUnlessRelease(t)
	requireNpm(t)
	app := copyApp(t, filepath.Join(repoRoot(), "examples", "nextjs-iron-session"))

	// The app is built while the release is: one compiles Go, the other Node.
	start := time.Now()
	runIn(t, app, npmEnv, "npm", "ci", "--no-audit", "--no-fund")
	runIn(t, app, npmEnv, "npm", "run", "build")
	t.Logf("npm ci + next build in a copy of the example: %s", time.Since(start).Round(100*time.Millisecond))

	d := dist(t)
	runIn(t, app, npmEnv, "npm", append([]string{"install", "--no-save", "--offline", "--no-audit", "--no-fund"}, tarballs(t, d)...)...)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start = time.Now()
	cmd := exec.CommandContext(ctx, "npx", "--no", "refreshspec", "proxy", "--profile", "refreshspec.yaml", "--backend", "local")
	cmd.Dir, cmd.Env = app, append(os.Environ(), npmEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("npx refreshspec proxy --profile refreshspec.yaml --backend local (%s):\n%s", time.Since(start).Round(100*time.Millisecond), stdout.String())
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("npx refreshspec proxy: exit %d, want 0 (conformant)\nstderr:\n%s", exit.ExitCode(), stderr.String())
	case err != nil:
		t.Fatalf("npx refreshspec proxy: %v\nstderr:\n%s", err, stderr.String())
	}
	if !strings.Contains("\n"+stdout.String(), "\nverdict: conformant") {
		t.Errorf("npx refreshspec proxy printed no line \"verdict: conformant\"\nstderr:\n%s", stderr.String())
	}
}

// copyApp copies an example app's sources into a temporary folder: what git
// holds of it, without what npm ci and next build leave there.
func copyApp(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		switch name := e.Name(); {
		case e.IsDir() && (name == "node_modules" || name == ".next"):
			return filepath.SkipDir
		case e.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case name == "next-env.d.ts" || strings.HasSuffix(name, ".tsbuildinfo") || !e.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	return dst
}
