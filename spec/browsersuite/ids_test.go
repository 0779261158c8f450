package browsersuite

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/suitetest"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
)

var _ = Register(&Config{Proxy: &proxysuite.Config{}})

// TestBrowserSpecIDs: every W scenario is one spec named by its ID, with its
// group and level labels, in catalogue order; no browser is needed.
func TestBrowserSpecIDs(t *testing.T) {
	suitetest.CheckSpecIDs(t, SuiteName, "W")
}
