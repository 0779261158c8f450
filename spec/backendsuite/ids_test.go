package backendsuite

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/suitetest"
)

var _ = Register(&Config{})

// TestBackendSpecIDs: every B scenario is one spec named by its ID, with its
// group and level labels, and the specs run in catalogue order (the
// container is not Ordered, so that order rests on the specs' code
// locations).
func TestBackendSpecIDs(t *testing.T) {
	suitetest.CheckSpecIDs(t, SuiteName, "B")
}
