package proxysuite

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/suitetest"
)

var _ = Register(&Config{})

// TestProxySpecIDs walks the registered tree without running it and checks
// the catalogue's promises: every P scenario is exactly one spec or one table
// whose entries all carry its ID, every spec name starts with a known ID and
// carries its group and level labels, the order is the catalogue's, and P8.4
// runs last.
func TestProxySpecIDs(t *testing.T) {
	suitetest.CheckSpecIDs(t, SuiteName, "P", leakScenario)
}
