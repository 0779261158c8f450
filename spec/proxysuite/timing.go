package proxysuite

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
)

// How many requests P9.2 times: enough for a median, few enough to keep the
// suite fast.
const (
	plainSamples   = 30
	refreshSamples = 8
)

// P9: timing, measured and reported, never failing.
func (s *suite) timingSpecs(strict func() bool) {
	harness.It("P9.1", strict, s.proactiveRefresh)
	harness.It("P9.2", strict, s.addedLatency)
}

// P9.1
func (s *suite) proactiveRefresh() {
	ttl := 5 * time.Second
	_, err := s.backend().UpdateSettings(s.ctx, control.SettingsPatch{AccessTTL: (*control.Duration)(&ttl)})
	Expect(err).NotTo(HaveOccurred(), "shortening the backend's access token lifetime")
	ss := s.newSession()
	ss.login()
	mark := s.mark()
	resp := ss.api()
	es := onRoutes(s.journal(mark), control.RouteMe, control.RouteRefresh)
	proactive := len(es) > 0 && es[0].Route == control.RouteRefresh
	met401 := false
	for _, e := range onRoutes(es, control.RouteMe) {
		met401 = met401 || e.Status == http.StatusUnauthorized
	}
	harness.Measured("with an access token that expires in %s, the target refreshed before the resource call: %v (a resource 401 first: %v; answer %d)",
		ttl, proactive, met401, resp.Status)
}

// P9.2
func (s *suite) addedLatency() {
	s.rateLimitOff("the timing")

	ss := s.newSession()
	login := ss.login()
	viaPlain := timeEach(plainSamples, func() {
		r := ss.api()
		Expect(r.Status).To(Equal(http.StatusOK), "a plain request through the target, timed for the comparison, should succeed; %s", r)
	})
	viaRefresh := timeEach(refreshSamples, func() {
		s.expire(login.Family)
		r := ss.api()
		Expect(r.Status).To(Equal(http.StatusOK), "a request through the target that refreshes, timed for the comparison, should succeed; %s", r)
	})
	if s.cfg.BackendURL == "" {
		harness.Measured("through the target: plain p50 %s p99 %s, refreshing p50 %s p99 %s (no BackendURL, so no direct comparison)",
			percentile(viaPlain, 50), percentile(viaPlain, 99), percentile(viaRefresh, 50), percentile(viaRefresh, 99))
		return
	}
	direct := directClient{s: s, base: strings.TrimRight(s.cfg.BackendURL, "/"), mapping: s.cfg.backendMapping(), http: &http.Client{Timeout: s.cfg.requestTimeout()}}
	defer direct.http.CloseIdleConnections()
	family := direct.login()
	directPlain := timeEach(plainSamples, func() {
		Expect(direct.me()).To(Equal(http.StatusOK), "a plain request straight to the backend should succeed")
	})
	directRefresh := timeEach(refreshSamples, func() {
		s.expire(family)
		Expect(direct.me()).To(Equal(http.StatusUnauthorized), "straight to the backend, the expired access token should be refused")
		direct.refresh()
		Expect(direct.me()).To(Equal(http.StatusOK), "straight to the backend, the refreshed access token should work")
	})
	harness.Measured("plain request: direct p50 %s p99 %s, through the target p50 %s p99 %s (added p50 %s); refreshing request: direct p50 %s p99 %s, through the target p50 %s p99 %s (added p50 %s)",
		percentile(directPlain, 50), percentile(directPlain, 99), percentile(viaPlain, 50), percentile(viaPlain, 99), percentile(viaPlain, 50)-percentile(directPlain, 50),
		percentile(directRefresh, 50), percentile(directRefresh, 99), percentile(viaRefresh, 50), percentile(viaRefresh, 99), percentile(viaRefresh, 50)-percentile(directRefresh, 50))
}

// timeEach runs f n times and returns the durations, sorted. The timed part
// includes the control call of a refreshing sample on both sides alike.
func timeEach(n int, f func()) []time.Duration {
	GinkgoHelper()
	out := make([]time.Duration, n)
	for i := range out {
		start := time.Now()
		f()
		out[i] = time.Since(start)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// percentile is the p-th percentile of sorted durations, rounded for reports.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p+99)/100 - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i].Round(10 * time.Microsecond)
}

// directClient calls the backend directly, as the target would, in the
// mapping the fake backend speaks (Config.BackendMapping), for P9.2's
// comparison. Its responses carry tokens by design, so they are not recorded
// for the leak scan.
type directClient struct {
	s                    *suite
	base                 string
	mapping              dialect.Mapping
	http                 *http.Client
	access, refreshToken string
}

// call sends the request that build makes with the mapping and returns the
// status and the body.
func (d *directClient) call(what string, build func(context.Context) (*http.Request, error)) (int, []byte) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(d.s.ctx, d.http.Timeout)
	defer cancel()
	req, err := build(ctx)
	Expect(err).NotTo(HaveOccurred(), "building the direct %s request", what)
	resp, err := d.http.Do(req)
	Expect(err).NotTo(HaveOccurred(), "calling the backend directly: %s (%s %s)", what, req.Method, req.URL.Path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, raw
}

func (d *directClient) tokens(body []byte) {
	GinkgoHelper()
	t, err := d.mapping.ReadTokens(body)
	Expect(err).NotTo(HaveOccurred(), "the backend's token answer")
	d.access, d.refreshToken = t.Access, t.Refresh
}

// login logs in directly and returns the family.
func (d *directClient) login() string {
	GinkgoHelper()
	cred := d.s.profile().Credentials
	mark := d.s.mark()
	status, body := d.call("login", func(ctx context.Context) (*http.Request, error) {
		return d.mapping.NewLoginRequest(ctx, d.base, cred.Email, cred.Password)
	})
	Expect(status).To(Equal(http.StatusOK), "logging in directly at the backend: %s", body)
	d.tokens(body)
	family := ""
	for _, e := range onRoutes(d.s.journal(mark), control.RouteLogin) {
		for _, t := range e.Issued {
			family = t.Family
		}
	}
	Expect(family).NotTo(BeEmpty(), "the backend should journal the tokens of the direct login")
	return family
}

func (d *directClient) me() int {
	GinkgoHelper()
	status, _ := d.call("me", func(ctx context.Context) (*http.Request, error) {
		return d.mapping.NewMeRequest(ctx, d.base, d.access)
	})
	return status
}

func (d *directClient) refresh() {
	GinkgoHelper()
	status, body := d.call("refresh", func(ctx context.Context) (*http.Request, error) {
		return d.mapping.NewRefreshRequest(ctx, d.base, d.refreshToken)
	})
	Expect(status).To(Equal(http.StatusOK), "refreshing directly at the backend: %s", body)
	d.tokens(body)
}
