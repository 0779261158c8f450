package spec

import (
	"fmt"

	"github.com/onsi/ginkgo/v2"

	"github.com/refreshspec/refreshspec/spec/backendsuite"
	"github.com/refreshspec/refreshspec/spec/browsersuite"
	"github.com/refreshspec/refreshspec/spec/harness"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
)

// The configs and the target of the three suites, by the names this package
// has always given them.
type (
	// ProxyConfig configures the proxy specs: proxysuite.Config.
	ProxyConfig = proxysuite.Config
	// Target is the proxy under test: proxysuite.Target.
	Target = proxysuite.Target
	// BackendConfig configures the backend specs: backendsuite.Config.
	BackendConfig = backendsuite.Config
	// BrowserConfig configures the browser specs: browsersuite.Config.
	BrowserConfig = browsersuite.Config
	// Verdict is the value of a VerdictEntry: harness.Verdict.
	Verdict = harness.Verdict
	// BackendRequests is the value of a BackendRequestsEntry:
	// backendsuite.Requests.
	BackendRequests = backendsuite.Requests
)

// The errors of the suites, the same values as theirs, so errors.Is works
// with either name.
var (
	// ErrNotRestartable is proxysuite.ErrNotRestartable.
	ErrNotRestartable = proxysuite.ErrNotRestartable
	// ErrChromiumNotFound is browsersuite.ErrChromiumNotFound.
	ErrChromiumNotFound = browsersuite.ErrChromiumNotFound
)

// The names of the suites' containers and report entries.
const (
	ProxySuiteName       = proxysuite.SuiteName
	BrowserSuiteName     = browsersuite.SuiteName
	VerdictEntry         = harness.VerdictEntry
	MeasuredEntry        = harness.MeasuredEntry
	JournalEntry         = harness.JournalEntry
	BackendRequestsEntry = backendsuite.RequestsEntry
	EnvChromium          = browsersuite.EnvChromium
)

// RegisterProxySpecs registers the proxy specs (group P): proxysuite.Register.
func RegisterProxySpecs(cfg *ProxyConfig) bool { return proxysuite.Register(cfg) }

// RegisterBackendSpecs registers the backend specs (group B):
// backendsuite.Register.
func RegisterBackendSpecs(cfg *BackendConfig) bool { return backendsuite.Register(cfg) }

// RegisterBrowserSpecs registers the browser specs (group W):
// browsersuite.Register.
func RegisterBrowserSpecs(cfg *BrowserConfig) bool { return browsersuite.Register(cfg) }

// FindChromium returns the browser the W specs run: browsersuite.FindChromium.
func FindChromium(explicit string) (string, error) { return browsersuite.FindChromium(explicit) }

// Measured records what a spec measured, for the reports, as given.
// harness.Measured, which the suites use, puts the running scenario's ID in
// front.
func Measured(format string, args ...any) {
	ginkgo.AddReportEntry(MeasuredEntry, fmt.Sprintf(format, args...))
}
