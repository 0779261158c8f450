package proxysuite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/leak"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/target"
)

// SuiteName is the text of the one container that holds every proxy spec,
// so that reports and --focus see the P scenarios under one roof.
const SuiteName = "refreshspec proxy suite"

// specTimeout bounds one proxy spec's own calls (control API, restarts).
const specTimeout = 2 * time.Minute

// Register registers every P scenario of the catalogue with Ginkgo. cfg is
// read only when the specs run, so a suite may fill it in BeforeSuite:
//
//	var cfg = &proxysuite.Config{}
//	var _ = proxysuite.Register(cfg)
//
// The specs run in catalogue order, except P8.4 (no token in any response of
// the run), which runs last because it sums up the leak scan that runs after
// every spec. The container is Ordered for that order alone (Ginkgo would
// otherwise sort the specs by code location, and keep no order under
// --randomize-all); with ContinueOnFailure a failure skips nothing.
func Register(cfg *Config) bool {
	s := &suite{cfg: cfg, tokens: map[string]control.Token{}}
	strict := func() bool { return cfg.Strict }
	return Describe(SuiteName, Ordered, ContinueOnFailure, func() {
		BeforeEach(s.beforeEach)
		AfterEach(s.afterEach)

		s.loginSpecs(strict)
		s.refreshSpecs(strict)
		s.rotationSpecs(strict)
		s.failureSpecs(strict)
		s.transientSpecs(strict)
		s.concurrencySpecs(strict)
		s.securitySpecs(strict)
		s.timingSpecs(strict)
		s.leakSpec(strict) // P8.4, last
	})
}

// suite is the state one registration of the proxy specs shares: the
// config, the per-spec context and recordings, and what the leak scan
// collected across the run.
type suite struct {
	cfg *Config

	// per spec
	ctx         context.Context
	mu          sync.Mutex // guards responses, cookiesSeen, sessions and tokens, which goroutines of P7 reach
	responses   []leak.Response
	cookiesSeen []seenCookie
	duplicates  []seenDuplicate
	sessions    []*session
	restarts    int // how many times the spec restarted the target
	// providerRotation names the provider's rotation P7.4 runs under
	// (--backend-rotation), "" under the contract's.
	providerRotation string

	// across the run
	tokens     map[string]control.Token // every token the backend issued
	leaks      []string                 // where a token reached the client, "spec: where"
	cookieName string                   // the session's base name once learned
	mainName   string                   // the name of the main cookie the last login set ("__Host-session")
	// outputLeaks are where a token appeared in the target's output
	// (P8.10), "spec: where"; outputScans how far each target's output
	// was scanned.
	outputLeaks []string
	outputScans map[*target.Transcript]*outputScan
	// loginOthers are the cookies the last login set outside the
	// session's set, for a hint when a replayed session does not open.
	loginOthers []string
	// survives is what the run learned of whether a session survives a
	// restart of the target with the same settings (P8.2, P8.3); nil
	// until a spec found out.
	survives *bool
}

func (s *suite) profile() *profile.Profile { return s.cfg.profileOrDefault() }

func (s *suite) backend() *control.Client { return s.cfg.Control }

func (s *suite) beforeEach() {
	if s.cfg.Target == nil || s.cfg.Control == nil {
		Fail("refreshspec proxy suite: proxysuite.Config.Target and Backend must be set before the specs run")
	}
	if err := s.cfg.preflightOnce(); err != nil {
		// One diagnosis instead of a failure of every spec at its login.
		AbortSuite(err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), specTimeout)
	s.ctx = ctx
	s.mu.Lock()
	s.responses = nil
	s.cookiesSeen = nil
	s.duplicates = nil
	s.sessions = nil
	s.restarts = 0
	s.mu.Unlock()
	DeferCleanup(func() {
		for _, ss := range s.sessions {
			ss.close()
		}
		cancel()
	})
	Expect(s.backend().Reset(ctx)).To(Succeed(), "resetting the fake backend before the spec")
}

// afterEach runs the leak scan of P8.4 over what the client got during the
// spec, and when the spec failed (or recorded a failed verdict) explains the
// failure with the requirement and the backend's journal.
func (s *suite) afterEach() {
	if s.cfg.Control == nil {
		return // beforeEach failed the spec already
	}
	// A fresh context: the spec's own may have run out, and the scan must run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	report := CurrentSpecReport()

	// Without the issued tokens the scan would look for nothing and pass, so
	// a failure to read them fails the spec instead of being skipped over.
	collectErr := s.collectTokens(ctx)
	s.mu.Lock()
	found := leak.Scan(s.tokens, s.responses)
	for _, l := range found {
		s.leaks = append(s.leaks, harness.ID()+": "+l)
	}
	s.mu.Unlock()

	if report.Failed() || len(found) > 0 || collectErr != nil || harness.HasVerdict(report) {
		s.explain(ctx)
	}
	if collectErr != nil {
		harness.FailFor(leakScenario, s.cfg.Strict, fmt.Sprintf("the leak scan after this spec could not run, so tokens may have reached the client unnoticed: %v\n"+
			"(the suite reads the issued tokens from the fake backend's GET /control/tokens after every spec)", collectErr))
	}
	if len(found) > 0 && harness.ID() != leakScenario { // P8.4's own body scans what it got
		harness.FailFor(leakScenario, s.cfg.Strict, fmt.Sprintf("%s\nan issued token reached the client during this spec:\n  %s",
			leakRequirement(), strings.Join(found, "\n  ")))
	}
	s.checkSessionCookies()
	s.checkOutput()
	if harness.ID() != cachingScenario { // P8.9's own body checks what it got
		s.checkCaching()
	}
}

// collectTokens adds every token the backend issued since its last reset to
// the run's list, which the leak scan looks for.
func (s *suite) collectTokens(ctx context.Context) error {
	tokens, err := s.backend().Tokens(ctx)
	if err != nil {
		return fmt.Errorf("reading the backend's issued tokens: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tokens {
		s.tokens[t.Value] = t
	}
	return nil
}

// explain writes the requirement and the backend's journal of the spec to
// GinkgoWriter and to a report entry, so a failure explains itself.
func (s *suite) explain(ctx context.Context) {
	entries, err := s.backend().Journal(ctx, 0)
	if err != nil {
		harness.Explain(fmt.Sprintf("the backend's journal could not be read: %v\n", err))
		return
	}
	harness.Explain(fmt.Sprintf("what the fake backend journaled during this spec (%d requests):\n%s", len(entries), s.journalText(entries)))
}
