package container

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// RequireDockerEnv names the variable that turns a missing Docker engine from
// a skip into a failure. CI sets it to 1, so that a broken engine cannot turn
// the container tests into silent skips.
const RequireDockerEnv = "REFRESHSPEC_REQUIRE_DOCKER"

// DockerAvailable returns nil when a Docker engine answers, and otherwise
// why not.
func DockerAvailable(ctx context.Context) (err error) {
	// testcontainers may panic when no engine is configured at all.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return fmt.Errorf("docker provider: %w", err)
	}
	defer provider.Close()
	if err := provider.Health(ctx); err != nil {
		return fmt.Errorf("docker engine: %w", err)
	}
	return nil
}

// RequireDocker skips the test when no Docker engine answers, or fails it
// when RequireDockerEnv is "1".
func RequireDocker(tb testing.TB) {
	tb.Helper()
	requireDocker(tb, DockerAvailable(context.Background()))
}

func requireDocker(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireDockerEnv) == "1" {
		tb.Fatalf("no Docker engine, and %s=1 requires one: %v", RequireDockerEnv, err)
		return
	}
	tb.Skipf("skipped: no Docker engine reachable (%v); start dockerd (bash .ci/run does), or set %s=1 to make this a failure", err, RequireDockerEnv)
}
