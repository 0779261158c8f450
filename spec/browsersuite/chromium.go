package browsersuite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/refreshspec/refreshspec/internal/tail"
)

// EnvChromium names the browser the W specs run when Config.ChromiumPath
// is empty: a path, or a name looked up on PATH.
const EnvChromium = "REFRESHSPEC_CHROMIUM"

// ErrChromiumNotFound says that no browser was named and none is on PATH; the
// W specs are then skipped with this text as the reason.
var ErrChromiumNotFound = errors.New("no Chromium found: install Debian's chromium package or set " + EnvChromium)

// chromiumNames are looked up on PATH, in order, when no browser is named.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// FindChromium returns the browser the W specs run: explicit when set, else
// $REFRESHSPEC_CHROMIUM, else the first of chromium, chromium-browser and
// google-chrome on PATH. A browser that was named but cannot be run is an
// error of its own, not ErrChromiumNotFound, so a typo is not mistaken for a
// machine without a browser.
func FindChromium(explicit string) (string, error) {
	for _, named := range []struct{ source, value string }{
		{"browsersuite.Config.ChromiumPath", explicit},
		{EnvChromium, os.Getenv(EnvChromium)},
	} {
		if named.value == "" {
			continue
		}
		path, err := exec.LookPath(named.value)
		if err != nil {
			return "", fmt.Errorf("%s=%q cannot be run: %w", named.source, named.value, err)
		}
		return path, nil
	}
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrChromiumNotFound
}

// startTimeout bounds Chromium's start, which on a busy CI machine takes a
// few seconds.
const startTimeout = 60 * time.Second

// allocatorOptions are the whole command line of the browser, built here
// instead of from chromedp.DefaultExecAllocatorOptions so that nothing turns
// on a feature that reaches the network (component updates, sync, QUIC
// probing, background fetches): the suite runs offline and must not call out.
// chromedp adds only --remote-debugging-pipe, a fresh temporary
// --user-data-dir (removed when the browser stops) and about:blank.
func allocatorOptions(path string, output *tail.Buffer) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.CombinedOutput(output)}
	for _, flag := range chromiumFlags {
		opts = append(opts, chromedp.Flag(flag, true))
	}
	// Even with the flags above Chromium looks up Google's hosts at start
	// (seen with strace: about 120 DNS lookups a run). Resolving every name
	// but loopback to "not found" keeps the browser on this machine: the
	// suite only ever talks to targets on 127.0.0.1 or localhost.
	opts = append(opts, chromedp.Flag("host-resolver-rules", hostResolverRules))
	return opts
}

// hostResolverRules maps every host name except loopback to NOTFOUND.
const hostResolverRules = "MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"

// chromiumFlags are the browser's flags, without the leading dashes.
var chromiumFlags = []string{
	"headless",
	"no-sandbox", // the suite often runs as root in a container, where the sandbox cannot start
	"disable-gpu",
	"disable-background-networking",
	"disable-component-update",
	"disable-sync",
	"no-first-run",
	"disable-quic",
}

// browser is one Chromium process shared by the W specs of a suite.
type browser struct {
	ctx         context.Context // holds the browser; a new chromedp context of it is a new tab
	cancel      context.CancelFunc
	cancelAlloc context.CancelFunc
	output      *tail.Buffer
	// tmp is the browser's TMPDIR. Chromium makes scoped folders there
	// (org.chromium.Chromium.*) that it does not always remove when it
	// stops; close removes tmp with whatever it holds, so no run leaves a
	// folder behind in the system's temporary directory.
	tmp string
}

// closeTimeout bounds the graceful close of the browser.
const closeTimeout = 10 * time.Second

// startBrowser starts Chromium at path and waits for its first tab.
func startBrowser(path string) (*browser, error) {
	output := tail.New(8 << 10) // Chromium's stderr is noisy; only its end explains a failed start
	tmp, err := os.MkdirTemp("", "refreshspec-chromium-")
	if err != nil {
		return nil, fmt.Errorf("a temporary folder for Chromium: %w", err)
	}
	opts := append(allocatorOptions(path, output), chromedp.Env("TMPDIR="+tmp))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{ctx: ctx, cancel: cancel, cancelAlloc: cancelAlloc, output: output, tmp: tmp}

	// The browser lives as long as the context of its first run, so that run
	// cannot carry a deadline; the deadline is kept here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err := <-started:
		if err != nil {
			b.close()
			return nil, fmt.Errorf("starting %s: %w; it printed:\n%s", path, err, output)
		}
		return b, nil
	case <-timer.C:
		b.close()
		return nil, fmt.Errorf("starting %s: no first tab within %v; it printed:\n%s", path, startTimeout, output)
	}
}

// close stops the browser, gracefully when it can (Chromium then removes
// its own temporary files), and removes its TMPDIR and what is left there.
func (b *browser) close() {
	ctx, cancel := context.WithTimeout(b.ctx, closeTimeout)
	_ = chromedp.Cancel(ctx)
	cancel()
	b.cancel()
	b.cancelAlloc()
	_ = os.RemoveAll(b.tmp)
}
