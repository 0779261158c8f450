package spec

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// BrowserSuiteName is the text of the one container that holds every browser
// spec, so that reports and --focus see the W scenarios under one roof.
const BrowserSuiteName = "refreshspec browser suite"

// BrowserConfig configures the browser specs (group W). Like ProxyConfig it is
// read when the specs run, so a suite may fill it in BeforeSuite.
type BrowserConfig struct {
	// Proxy is the target, its fake backend and its profile, as for the
	// proxy specs; the W specs take the page paths, the selectors of
	// profile.Proxy.Selectors and the credentials from Proxy.Profile.
	Proxy *ProxyConfig
	// ChromiumPath is the browser to run. Empty means $REFRESHSPEC_CHROMIUM,
	// else chromium, chromium-browser or google-chrome on PATH; when none is
	// found the W specs are skipped with that reason.
	ChromiumPath string
	// Timeout bounds each browser step (a navigation, a wait for the page to
	// show something); default 15 s. Starting Chromium has its own bound.
	Timeout time.Duration
}

func (c *BrowserConfig) strict() bool { return c.Proxy != nil && c.Proxy.Strict }

func (c *BrowserConfig) timeout() time.Duration { return orDefault(c.Timeout, 15*time.Second) }

// RegisterBrowserSpecs registers the W scenarios of scenarios.md: one
// Chromium for the whole group, started before its first spec, and a fresh
// browser context (as incognito: no cookies, no storage) for every spec, so
// each scenario logs in on its own and none depends on another.
//
// The container is Ordered only so that the browser is shared; with
// ContinueOnFailure every spec still runs when an earlier one failed.
func RegisterBrowserSpecs(cfg *BrowserConfig) bool {
	return Describe(BrowserSuiteName, Ordered, ContinueOnFailure, func() {
		var browser *brBrowser
		var s *brSession

		BeforeAll(func() {
			Expect(cfg.Proxy).NotTo(BeNil(), "BrowserConfig.Proxy is nil: set it before the W specs run")
			Expect(cfg.Proxy.Target).NotTo(BeNil(), "BrowserConfig.Proxy.Target is nil: set it before the W specs run")
			path, err := FindChromium(cfg.ChromiumPath)
			if errors.Is(err, ErrChromiumNotFound) {
				Skip(err.Error())
			}
			Expect(err).NotTo(HaveOccurred())
			browser, err = brStartBrowser(path)
			Expect(err).NotTo(HaveOccurred(), "starting Chromium")
			DeferCleanup(browser.close)
		})

		BeforeEach(func() {
			if b := cfg.Proxy.Backend; b != nil {
				ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout())
				defer cancel()
				Expect(b.Reset(ctx)).To(Succeed(), "resetting the fake backend")
			}
			sess := browser.newSession(cfg)
			DeferCleanup(func() {
				if r := CurrentSpecReport(); r.Failed() || brHasVerdict(r) {
					sess.explain(r)
				}
				sess.close()
			})
			sess.open()
			s = sess
		})

		scenario("W1.1", cfg.strict, func() {
			s.login()
		})

		scenario("W1.2", cfg.strict, func() {
			s.needControl()
			l := s.login()
			// Tokens first: when a token is readable, that is the finding,
			// whichever cookie carries it.
			s.expectNoTokenInScriptStorage()
			s.expectNoSessionCookieInScript(l)
		})

		scenario("W1.3", cfg.strict, func() {
			s.needControl()
			l := s.login()
			ctx, cancel := s.stepContext()
			defer cancel()
			n, err := cfg.Proxy.Backend.Expire(ctx, l.family, control.Access)
			Expect(err).NotTo(HaveOccurred(), "expiring the access tokens of family %s", l.family)
			Expect(n).To(BeNumerically(">", 0), "the fake backend expired no access token of family %s", l.family)

			s.navigate(s.prof.Proxy.ProfilePage.Path)
			s.waitForFirstName("after the access token expired, loading the profile page again")

			after := s.journalSince(l.seq)
			Expect(brRoutes(after)).NotTo(ContainElement(control.RouteLogin),
				"loading the profile page after expiry must not log in again; the backend saw:\n%s", brFormatJournal(after))
			Expect(brOutcomes(after, control.RouteRefresh)).To(ContainElement(control.OutcomeOK),
				"loading the profile page after expiry must refresh the session; the backend saw:\n%s", brFormatJournal(after))
		})

		scenario("W1.4", cfg.strict, func() {
			s.needControl()
			l := s.login()
			ctx, cancel := s.stepContext()
			defer cancel()
			_, err := cfg.Proxy.Backend.Revoke(ctx, l.family)
			Expect(err).NotTo(HaveOccurred(), "revoking family %s", l.family)

			s.click(s.prof.Proxy.Selectors.Reload)
			s.waitForPath(s.prof.Proxy.LoginPage.Path, "after the refresh token was revoked, clicking "+s.prof.Proxy.Selectors.Reload)
		})

		scenario("W1.5", cfg.strict, func() {
			s.login()
			s.click(s.prof.Proxy.Selectors.Logout)
			s.waitForPath(s.prof.Proxy.LoginPage.Path, "after clicking "+s.prof.Proxy.Selectors.Logout)

			s.navigate(s.prof.Proxy.ProfilePage.Path)
			s.waitForPath(s.prof.Proxy.LoginPage.Path, "loading the profile page after logout")
		})
	})
}
