package target

import (
	"context"
	"strings"
	"testing"

	fbcontainer "github.com/refreshspec/refreshspec/fakebackend/container"
)

func TestStartContainerNeverPulls(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	fbcontainer.RequireDocker(t)
	_, err := StartContainer(context.Background(), ContainerOptions{Image: "refreshspec-test/absent:none"})
	if err == nil || !strings.Contains(err.Error(), "never pulls") || !strings.Contains(err.Error(), "refreshspec-test/absent:none") {
		t.Errorf("StartContainer with an image not on this machine: %v, want an error naming it that says it is never pulled", err)
	}
	if _, err := StartContainer(context.Background(), ContainerOptions{}); err == nil {
		t.Error("StartContainer without an image succeeded")
	}
}
