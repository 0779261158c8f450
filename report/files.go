package report

import (
	"fmt"
	"io"
	"os"

	"github.com/refreshspec/refreshspec/runner"
)

// WriteFile writes res to path with one of the writers of this package,
// naming the file in any error.
func WriteFile(path string, res runner.Result, write func(io.Writer, runner.Result) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := write(f, res); err != nil {
		f.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return nil
}
