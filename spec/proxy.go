package spec

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
	"github.com/refreshspec/refreshspec/spec/catalogue"
)

// ProxySuiteName is the text of the one container that holds every proxy
// spec, so that reports and --focus see the P scenarios under one roof.
const ProxySuiteName = "refreshspec proxy suite"

// JournalEntry is the name of the report entry in which a failed spec (or a
// SHOULD/INFO spec that recorded a failed verdict) keeps what the fake
// backend journaled during it.
const JournalEntry = "journal"

// pxSpecTimeout bounds one proxy spec's own calls (control API, restarts).
const pxSpecTimeout = 2 * time.Minute

// RegisterProxySpecs registers every P scenario of the catalogue with Ginkgo.
// cfg is read only when the specs run, so a suite may fill it in BeforeSuite:
//
//	var cfg = &spec.ProxyConfig{}
//	var _ = spec.RegisterProxySpecs(cfg)
//
// The specs run in catalogue order, except P8.4 (no token in any response of
// the run), which runs last because it sums up the leak scan that runs after
// every spec. The container is Ordered for that order alone (Ginkgo would
// otherwise sort the specs by code location, and keep no order under
// --randomize-all); with ContinueOnFailure a failure skips nothing.
func RegisterProxySpecs(cfg *ProxyConfig) bool {
	s := &pxSuite{cfg: cfg, tokens: map[string]control.Token{}}
	strict := func() bool { return cfg.Strict }
	return Describe(ProxySuiteName, Ordered, ContinueOnFailure, func() {
		BeforeEach(s.beforeEach)
		AfterEach(s.afterEach)

		pxLoginSpecs(s, strict)
		pxRefreshSpecs(s, strict)
		pxRotationSpecs(s, strict)
		pxFailureSpecs(s, strict)
		pxTransientSpecs(s, strict)
		pxConcurrencySpecs(s, strict)
		pxSecuritySpecs(s, strict)
		pxTimingSpecs(s, strict)
		pxLeakSpec(s, strict) // P8.4, last
	})
}

// pxSuite is the state one registration of the proxy specs shares: the
// config, the per-spec context and recordings, and what the leak scan
// collected across the run.
type pxSuite struct {
	cfg *ProxyConfig

	// per spec
	ctx       context.Context
	mu        sync.Mutex
	responses []pxRecorded
	sessions  []*pxSession

	// across the run
	tokens     map[string]control.Token // every token the backend issued
	leaks      []string                 // where a token reached the client, "spec: where"
	cookieName string                   // the session cookie's name once learned
}

func (s *pxSuite) profile() *profile.Profile { return s.cfg.profile() }

func (s *pxSuite) backend() *control.Client { return s.cfg.Backend }

func (s *pxSuite) beforeEach() {
	if s.cfg.Target == nil || s.cfg.Backend == nil {
		Fail("refreshspec proxy suite: ProxyConfig.Target and ProxyConfig.Backend must be set before the specs run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), pxSpecTimeout)
	s.ctx = ctx
	s.mu.Lock()
	s.responses = nil
	s.sessions = nil
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
func (s *pxSuite) afterEach() {
	if s.cfg.Backend == nil {
		return // beforeEach failed the spec already
	}
	// A fresh context: the spec's own may have run out, and the scan must run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	report := CurrentSpecReport()
	id := pxSpecID(report.LeafNodeText)

	// Without the issued tokens the scan would look for nothing and pass, so
	// a failure to read them fails the spec instead of being skipped over.
	collectErr := s.collectTokens(ctx)
	s.mu.Lock()
	found := pxScanLeaks(s.tokens, s.responses)
	for _, l := range found {
		s.leaks = append(s.leaks, id+": "+l)
	}
	s.mu.Unlock()

	if report.Failed() || len(found) > 0 || collectErr != nil || pxHasFailedVerdict(report) {
		s.explain(ctx, id)
	}
	if collectErr != nil {
		Fail(fmt.Sprintf("P8.4: the leak scan after this spec could not run, so tokens may have reached the client unnoticed: %v\n"+
			"(the suite reads the issued tokens from the fake backend's GET /control/tokens after every spec)", collectErr))
	}
	if len(found) > 0 {
		Fail(fmt.Sprintf("P8.4: %s\nan issued token reached the client during this spec:\n  %s",
			catalogue.MustLookup("P8.4").Requirement, strings.Join(found, "\n  ")))
	}
}

// collectTokens adds every token the backend issued since its last reset to
// the run's list, which the leak scan looks for.
func (s *pxSuite) collectTokens(ctx context.Context) error {
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
func (s *pxSuite) explain(ctx context.Context, id string) {
	var b strings.Builder
	if sc, ok := catalogue.Lookup(id); ok {
		fmt.Fprintf(&b, "%s (%s) requirement: %s\n", sc.ID, sc.Level, sc.Requirement)
	}
	entries, err := s.backend().Journal(ctx, 0)
	if err != nil {
		fmt.Fprintf(&b, "the backend's journal could not be read: %v\n", err)
	} else {
		fmt.Fprintf(&b, "what the fake backend journaled during this spec (%d requests):\n%s", len(entries), s.journalText(entries))
	}
	GinkgoWriter.Print(b.String())
	AddReportEntry(JournalEntry, b.String())
}

func pxHasFailedVerdict(r SpecReport) bool {
	for _, e := range r.ReportEntries {
		if e.Name == VerdictEntry {
			return true
		}
	}
	return false
}

// pxSpecID is the scenario ID a spec or table entry name begins with.
func pxSpecID(text string) string {
	id, _, _ := strings.Cut(text, " ")
	return id
}

// pxLeakSpec is P8.4. It also drives one session through every route, so
// that the scan has something to look at when P8.4 is focused alone.
func pxLeakSpec(s *pxSuite, strict func() bool) {
	scenario("P8.4", strict, func() {
		ss := s.newSession()
		login := ss.login()
		s.expire(login.Family)
		ss.api()
		ss.page()
		ss.patch(`{"lastName":"Leakcheck"}`)
		ss.logout()
		Expect(s.collectTokens(s.ctx)).To(Succeed())
		s.mu.Lock()
		found := pxScanLeaks(s.tokens, s.responses)
		leaks := append(append([]string(nil), s.leaks...), found...)
		s.mu.Unlock()
		Expect(leaks).To(BeEmpty(), "P8.4: no token the backend issued may appear in any response the client got during the run; found these")
	}, Offset(1))
}
