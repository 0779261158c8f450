package backendsuite

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// SuiteName is the text of the one container that holds every backend spec.
const SuiteName = "B: the backend suite"

// Register registers the backend specs (group B of the catalogue) in one
// top-level Describe, in catalogue order. cfg is read when the specs run, so
// a suite may fill it in BeforeSuite. The specs reach the backend only over
// HTTP, through cfg.Profile's dialect, paths, field names and credentials;
// with cfg.Control (a fake backend) the checks that need time to pass move
// its clock, and without it they wait for the profile's short_access_ttl or
// are skipped with the reason.
//
// The specs never reset the backend: a suite that wants a clean fake backend
// per spec resets it in its own BeforeEach.
func Register(cfg *Config) bool {
	s := &suite{cfg: cfg}
	strict := func() bool { return cfg.Strict }
	return Describe(SuiteName, Label("B"), func() {
		var c *client
		var journalMark int
		BeforeEach(func() {
			c = nil
			c = s.client()
			journalMark = c.journalMark()
		})
		AfterEach(func() {
			if c == nil { // the config was unusable; BeforeEach said why
				return
			}
			AddReportEntry(RequestsEntry, Requests{Spec: c.specSent, Run: s.sent.Load()},
				ReportEntryVisibilityFailureOrVerbose)
			if CurrentSpecReport().Failed() {
				c.dumpJournal(journalMark)
			}
		})

		// The specs are registered here, one a line, and not in the files
		// of their themes: the container is not Ordered, so Ginkgo runs its
		// specs in the order of their code locations, and these lines keep
		// that the catalogue's.
		harness.It("B1.1", strict, func() { c.checkLoginEnvelope() })
		harness.It("B1.2", strict, func() { c.checkBadCredentials() })
		harness.It("B2.1", strict, func() { c.checkRefreshRotates() })
		harness.It("B2.2", strict, func() { c.checkNewAccessAccepted() })
		harness.It("B2.3", strict, func() { c.checkUsedRefreshRejected() })
		harness.It("B2.4", strict, func() { c.checkReuseRevokesFamily() })
		harness.It("B2.5", strict, func() { c.checkUnknownRefreshToken() })
		harness.It("B2.6", strict, func() { c.checkMalformedRefresh() })
		harness.It("B2.7", strict, func() { c.checkNoStore() })
		harness.It("B2.8", strict, func() { c.checkRateLimit() })
		harness.It("B2.9", strict, func() { c.checkWWWAuthenticate() })
		harness.It("B2.10", strict, func() { c.checkLogoutRevokes() })
		harness.It("B2.11", strict, func() { c.measureImmediateReuse() })
		harness.It("B2.12", strict, func() { c.measureOldAccessToken() })
		harness.It("B2.13", strict, func() { c.measureLifetimes() })
		// B2.14 is an INFO measurement, and a MUST once the profile
		// declares the rotation it expects (backend.rotation).
		harness.ItMust("B2.14", strict, func() bool { return cfg.profile().Backend.Rotation != nil },
			func() { c.measureRotationSemantics() })
	})
}

// suite is the state of one registration of the B specs that outlives a
// spec.
type suite struct {
	cfg  *Config
	sent atomic.Int64
	// rateLimitMet holds a description of the 429 that B2.8 met, once it met one.
	rateLimitMet atomic.Value
	// transport is the B specs' own, so their connections neither come
	// from nor linger in http.DefaultTransport's pool.
	transportOnce sync.Once
	transport     *http.Transport
}

// client builds the client for one spec from the config as it is now.
func (s *suite) client() *client {
	prof := s.cfg.profile()
	base := s.cfg.BackendURL
	if base == "" {
		base = prof.Backend.URL
	}
	Expect(base).NotTo(BeEmpty(), "backendsuite.Config.URL (or the profile's backend.url) must name the backend under test")
	timeout := harness.OrDefault(s.cfg.RequestTimeout, 10*time.Second)
	return &client{
		base:    strings.TrimRight(base, "/"),
		prof:    prof,
		http:    &http.Client{Transport: s.roundTripper(), Timeout: timeout, CheckRedirect: noRedirects},
		timeout: timeout,
		control: s.cfg.Control,
		suite:   s,
	}
}

func (s *suite) roundTripper() *http.Transport {
	s.transportOnce.Do(func() {
		s.transport = http.DefaultTransport.(*http.Transport).Clone()
	})
	return s.transport
}

// noRedirects keeps redirects visible: a backend that redirects an API
// call to a login page is answering wrongly, and following it would hide that.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// journalMark returns the fake backend's last journal sequence number, so a
// failure can show what the backend saw during the spec.
func (c *client) journalMark() int {
	if c.control == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	entries, err := c.control.Journal(ctx, 0)
	if err != nil || len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// dumpJournal writes what the fake backend journaled since mark, so that a
// failure explains itself from the backend's side too.
func (c *client) dumpJournal(mark int) {
	if c.control == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	entries, err := c.control.Journal(ctx, mark)
	if err != nil {
		fmt.Fprintf(GinkgoWriter, "could not read the fake backend's journal: %v\n", err)
		return
	}
	fmt.Fprintf(GinkgoWriter, "the fake backend journaled %d request(s) during this spec:\n", len(entries))
	for _, e := range entries {
		if e.Seq <= mark {
			continue
		}
		fmt.Fprintf(GinkgoWriter, "  #%d %s -> %d %s (token %q, family %q, generation %d)\n",
			e.Seq, e.Route, e.Status, e.Outcome, control.Fingerprint(e.Token), e.Family, e.Generation)
	}
}
