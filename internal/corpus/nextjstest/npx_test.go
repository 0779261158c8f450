package nextjstest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/distcheck"
)

// checkNpx does what a Next.js team's CI does with the npm package, from
// the example's folder once it is built: the release's npm packages
// installed with npm install --no-save (the tarballs a user on this machine
// gets: refreshspec and this platform's binary), then `npx refreshspec
// proxy --profile refreshspec.yaml --backend local`, as the example's
// README says. The run must end conformant, exit 0.
func checkNpx(t *testing.T) {
	t.Helper()
	tarballs := distcheck.NPMTarballs(t)
	install := exec.Command("npm", append([]string{"install", "--no-save", "--offline", "--no-audit", "--no-fund"}, tarballs...)...)
	install.Dir, install.Env = nextDir, append(os.Environ(), distcheck.NPMEnv...)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install --no-save of the release's packages in %s: %v\n%s", nextDir, err, out)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "npx", "--no", "refreshspec", "proxy", "--profile", "refreshspec.yaml", "--backend", "local")
	cmd.Dir, cmd.Env = nextDir, append(os.Environ(), distcheck.NPMEnv...)
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
