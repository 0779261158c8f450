package nextjstest

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/corpus"
	"github.com/refreshspec/refreshspec/internal/distcheck"
)

func TestMain(m *testing.M) { corpus.Main(m, distcheck.Cleanup) }
