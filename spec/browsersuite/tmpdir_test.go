package browsersuite

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLeavesNoTemporaryFolder: Chromium makes scoped folders
// (org.chromium.Chromium.*) in its TMPDIR and leaves some behind when it
// stops; the suite gives it a TMPDIR of its own, which close removes.
func TestBrowserLeavesNoTemporaryFolder(t *testing.T) {
	path, err := FindChromium("")
	if errors.Is(err, ErrChromiumNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := startBrowser(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate("about:blank")); err != nil {
		b.close()
		t.Fatal(err)
	}
	entries, err := os.ReadDir(b.tmp)
	if err != nil {
		b.close()
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("Chromium's TMPDIR %s holds %v", b.tmp, names)
	if !strings.Contains(strings.Join(names, " "), "org.chromium.Chromium.") {
		t.Errorf("Chromium made no folder in the TMPDIR the suite gave it (%v): it still writes to the system's temporary directory", names)
	}
	b.close()
	if _, err := os.Stat(b.tmp); !os.IsNotExist(err) {
		t.Errorf("after close, %s is still there (%v)", b.tmp, err)
	}
}
