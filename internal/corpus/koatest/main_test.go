package koatest

import (
	"testing"

	"github.com/refreshspec/refreshspec/internal/corpus"
)

func TestMain(m *testing.M) { corpus.Main(m) }
