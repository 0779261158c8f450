package fakebackend_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// TestMainRefusesARemoteControlAddressWithoutTheFlag: the binary, like
// Start (TestStartRefusesARemoteControlAddress), will not expose the control
// API (which can reset and break the backend) on a non-loopback address
// unless --allow-remote-control says so; it refuses before listening.
func TestMainRefusesARemoteControlAddressWithoutTheFlag(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		err := fakebackend.Main(ctx, []string{"--addr=127.0.0.1:0", "--control-addr=" + addr}, func(string) string { return "" }, io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("--control-addr=%s: err = %v, want a refusal", addr, err)
		}
	}
}
