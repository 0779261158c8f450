package report

import (
	"fmt"
	"io"
	"os"

	"github.com/refreshspec/refreshspec/internal/runner"
)

// WriteFile writes res to path with one of the writers of this package,
// replacing what the file held, and names the file in any error.
func WriteFile(path string, res runner.Result, write func(io.Writer, runner.Result) error) error {
	return writeFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, res, write)
}

// AppendFile is WriteFile for a file that collects several writers' output,
// such as $GITHUB_STEP_SUMMARY: it appends to it.
func AppendFile(path string, res runner.Result, write func(io.Writer, runner.Result) error) error {
	return writeFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, res, write)
}

func writeFile(path string, flag int, res runner.Result, write func(io.Writer, runner.Result) error) error {
	f, err := os.OpenFile(path, flag, 0o644)
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
