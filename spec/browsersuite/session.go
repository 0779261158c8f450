package browsersuite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
	"github.com/refreshspec/refreshspec/profile"
)

// pollInterval is how often a wait asks the page where it is.
const pollInterval = 100 * time.Millisecond

// session is one W spec's tab, in a browser context of its own: no cookie,
// no storage and no cache from another spec reaches it.
type session struct {
	cfg     *Config
	prof    *profile.Profile
	base    string
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelFunc
	// traffic is what the tab loaded (network.go).
	traffic *traffic
	// sessionNames are the session cookies' names once a login told them.
	sessionNames []string
}

// loginResult is what a spec knows after logging in through the form.
type loginResult struct {
	// seq is the journal sequence number of the backend's /auth/login, and
	// family the token family it issued (both zero without a control API).
	seq    int
	family string
	// sessionCookies are the names of the cookies that logging in set or
	// changed in the browser: the profile's cookie_name when it names one,
	// else every cookie that was not there, or had another value, on the
	// login page before the form was sent.
	sessionCookies []string
	// cookies are what the browser held for the target afterwards.
	cookies []*network.Cookie
}

// newSession prepares a tab in a new browser context; open opens it.
func (b *browser) newSession(cfg *Config) *session {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	return &session{
		cfg:     cfg,
		prof:    profileOf(cfg.Proxy),
		base:    strings.TrimRight(cfg.Proxy.Target.URL(), "/"),
		timeout: cfg.timeout(),
		ctx:     ctx,
		cancel:  cancel,
	}
}

// open opens the tab, starts recording what it loads, and, while the
// target runs with COOKIE_SECURE on, makes every request of the tab carry
// the headers a TLS-terminating proxy sends (X-Forwarded-Proto: https). The
// tab lives as long as the context of its first run, so that run carries no
// deadline; the wait for it is bounded here instead.
func (s *session) open() {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(s.ctx) }()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		Expect(err).NotTo(HaveOccurred(), "opening a tab in a new browser context")
	case <-timer.C:
		Fail(fmt.Sprintf("opening a tab in a new browser context took longer than %v", s.timeout))
	}
	s.traffic = newTraffic()
	Expect(s.traffic.listen(s.ctx)).To(Succeed(), "watching the tab's network events")
	if h := sessioncookie.ForwardedHeaders(s.cfg.Proxy.Target.Env(), s.prof); h != nil {
		headers := network.Headers{}
		for k, vs := range h {
			headers[k] = strings.Join(vs, ", ")
		}
		ctx, cancel := s.stepContext()
		defer cancel()
		_, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (cdp.Empty, error) {
			return cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		})
		Expect(err).NotTo(HaveOccurred(), "making the tab's requests carry %v", h)
	}
}

// close closes the tab and disposes of its browser context and cookies.
func (s *session) close() { s.cancel() }

// stepContext bounds one step: a navigation, a click, a control call.
func (s *session) stepContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.timeout)
}

func (s *session) url(path string) string { return s.base + path }

func (s *session) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	ctx, cancel := s.stepContext()
	defer cancel()
	ExpectWithOffset(1, chromedp.Do(ctx, actions...)).To(Succeed(), "%s", what)
}

func (s *session) navigate(path string) {
	s.do("loading "+s.url(path), chromedp.Navigate(s.url(path)))
}

func (s *session) click(selector string) {
	s.do("clicking "+selector+" (it must be on the page and visible)", chromedp.Click(chromedp.CSS(selector)))
}

// pageState is where the tab is and what its first-name element says.
type pageState struct {
	Path      string `json:"path"`
	Found     bool   `json:"found"` // the first-name element is in the page
	FirstName string `json:"firstName"`
}

// page reads the tab's location and first-name element. It fails while a
// navigation replaces the document, so callers poll it.
func (s *session) page() (pageState, error) {
	sel, _ := json.Marshal(s.prof.Proxy.Selectors.FirstName)
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		return {path: location.pathname, found: !!el, firstName: el ? el.textContent : ""};
	})()`, sel)
	ctx, cancel := context.WithTimeout(s.ctx, min(s.timeout, 2*time.Second))
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[pageState](js))
}

// waitForFirstName waits until the tab is on the profile page and its
// first-name element shows the user's first name.
func (s *session) waitForFirstName(when string) {
	want, path, sel := s.prof.Credentials.FirstName, s.prof.Proxy.ProfilePage.Path, s.prof.Proxy.Selectors.FirstName
	EventuallyWithOffset(1, func(g Gomega) {
		p, err := s.page()
		g.Expect(err).NotTo(HaveOccurred(), "reading the page")
		g.Expect(p.Path).To(Equal(path), "the browser's location.pathname")
		g.Expect(p.Found).To(BeTrue(), "the page has no element %s", sel)
		g.Expect(p.FirstName).To(ContainSubstring(want), "the text of %s", sel)
	}).WithTimeout(s.timeout).WithPolling(pollInterval).Should(Succeed(),
		"%s, the browser should be on %s showing %q in %s", when, path, want, sel)
}

// waitForPath waits until the tab's location.pathname is path.
func (s *session) waitForPath(path, when string) {
	EventuallyWithOffset(1, func(g Gomega) {
		p, err := s.page()
		g.Expect(err).NotTo(HaveOccurred(), "reading the page")
		g.Expect(p.Path).To(Equal(path), "the browser's location.pathname")
	}).WithTimeout(s.timeout).WithPolling(pollInterval).Should(Succeed(),
		"%s, the browser should end on %s", when, path)
}

// login logs in through the target's login form the way a user does, and
// waits for the profile page to show the first name (W1.1).
func (s *session) login() loginResult {
	sel, cred := s.prof.Proxy.Selectors, s.prof.Credentials
	loginPage := s.url(s.prof.Proxy.LoginPage.Path)
	s.do("loading the login page "+loginPage, chromedp.Navigate(loginPage), chromedp.WaitVisible(chromedp.CSS(sel.Email)))
	before := s.cookies()
	s.do(fmt.Sprintf("filling in %s and %s and clicking %s", sel.Email, sel.Password, sel.Submit),
		chromedp.SendKeys(chromedp.CSS(sel.Email), cred.Email),
		chromedp.SendKeys(chromedp.CSS(sel.Password), cred.Password),
		chromedp.Click(chromedp.CSS(sel.Submit)),
	)
	s.waitForFirstName("after logging in through the form at " + loginPage)

	l := loginResult{cookies: s.cookies()}
	l.sessionCookies = sessionCookies(s.prof.Proxy.CookieNames(), before, l.cookies)
	s.sessionNames = l.sessionCookies
	if s.cfg.Proxy.Control != nil {
		journal := s.journalSince(0)
		for _, e := range journal {
			if e.Route == control.RouteLogin && e.Status == 200 && len(e.Issued) > 0 {
				l.seq, l.family = e.Seq, e.Issued[0].Family
			}
		}
		Expect(l.family).NotTo(BeEmpty(), "the profile page showed the first name, but the backend saw no successful login:\n%s", formatJournal(journal))
	}
	return l
}

// sessionCookies names the session cookies: the profile's cookie names (or
// patterns), or the cookies that the login added or changed; each stands
// for its whole set (its prefixed name, NAME.sig, its chunks), as
// sessioncookie.Matches reads it. When any of those is
// HttpOnly, only the HttpOnly ones count: a cookie the app means scripts to
// read (Laravel's XSRF-TOKEN) is not a session cookie, and whether it leaks
// a token is the token scan's business, not the cookie-name check's.
func sessionCookies(named []string, before, after []*network.Cookie) []string {
	if len(named) > 0 {
		return named
	}
	had := map[string]string{}
	for _, c := range before {
		had[c.Name] = c.Value
	}
	var all, httpOnly []string
	for _, c := range after {
		if v, ok := had[c.Name]; !ok || v != c.Value {
			all = append(all, c.Name)
			if c.HTTPOnly {
				httpOnly = append(httpOnly, c.Name)
			}
		}
	}
	if len(httpOnly) > 0 {
		return httpOnly
	}
	return all
}

// cookies returns every cookie the browser would send to the target.
func (s *session) cookies() []*network.Cookie {
	ctx, cancel := s.stepContext()
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{s.base + "/"}})
	})
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "reading the browser's cookies over CDP")
	return res.Cookies
}

// needControl skips a spec that needs the fake backend's control API when the
// suite has none.
func (s *session) needControl() {
	if s.cfg.Proxy.Control == nil {
		Skip("needs the fake backend's control API (browsersuite.Config.Proxy.Backend) to read, expire or revoke tokens")
	}
}

func (s *session) journalSince(seq int) []control.Entry {
	ctx, cancel := s.stepContext()
	defer cancel()
	es, err := s.cfg.Proxy.Control.Journal(ctx, seq)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "reading the fake backend's journal")
	return es
}

// explain writes what explains a failure to GinkgoWriter and to a report
// entry: the requirement, where the browser is and what its page says, and
// what the backend saw.
func (s *session) explain() {
	var b strings.Builder
	tctx, tcancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer tcancel()
	if loc, err := chromedp.Run(tctx, chromedp.Location()); err == nil {
		fmt.Fprintf(&b, "browser location: %s\n", loc)
	}
	if text, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		fmt.Fprintf(&b, "page text:\n%.2000s\n", text)
	}
	if backend := s.cfg.Proxy.Control; backend != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if es, err := backend.Journal(ctx, 0); err == nil {
			fmt.Fprintf(&b, "what the fake backend journaled during this spec (%d requests):\n%s", len(es), formatJournal(es))
		} else {
			fmt.Fprintf(&b, "the backend's journal could not be read: %v\n", err)
		}
	}
	harness.Explain(b.String())
}
