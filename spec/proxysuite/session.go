package proxysuite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/leak"
)

// session is one client of the target, as a browser would be: a cookie
// jar, redirects not followed (the specs look at them), a timeout per
// request, and every response recorded for the leak scan.
type session struct {
	s      *suite
	base   *url.URL
	jar    *cookiejar.Jar
	client *http.Client
}

// loginResult is a session's login as the backend saw it.
type loginResult struct {
	Resp    *response
	Family  string
	Access  string
	Refresh string
}

func (s *suite) newSession() *session {
	GinkgoHelper()
	base, err := url.Parse(strings.TrimRight(s.cfg.Target.URL(), "/"))
	Expect(err).NotTo(HaveOccurred(), "the target's URL")
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	ss := &session{
		s:    s,
		base: base,
		jar:  jar,
		// Each session has its own transport: a restart of the target must
		// not leave it with connections to the old process.
		client: &http.Client{
			Jar:           jar,
			Timeout:       s.cfg.requestTimeout(),
			Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	s.mu.Lock()
	s.sessions = append(s.sessions, ss)
	s.mu.Unlock()
	return ss
}

func (ss *session) close() { ss.client.CloseIdleConnections() }

// send makes one request and records the response; it does not assert, so
// that it can run in goroutines.
func (ss *session) send(method, path string, body []byte, contentType string) (*response, error) {
	u := ss.base.JoinPath(path)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ss.s.ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "*/*")
	what := method + " " + path
	resp, err := ss.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", what, err)
	}
	r := &response{Request: what, Status: resp.StatusCode, Header: resp.Header, Body: raw, Cookies: resp.Cookies()}
	ss.s.record(leak.Response{Where: fmt.Sprintf("%s → %d", what, r.Status), Header: resp.Header.Clone(), Body: raw})
	return r, nil
}

func (s *suite) record(r leak.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responses = append(s.responses, r)
}

// do is send that fails the spec on a transport error.
func (ss *session) do(method, path string, body []byte, contentType string) *response {
	GinkgoHelper()
	r, err := ss.send(method, path, body, contentType)
	Expect(err).NotTo(HaveOccurred(), "the target should answer %s %s", method, path)
	return r
}

// api requests the profile's api route (GET /api/me).
func (ss *session) api() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.Me
	return ss.do(e.Method, e.Path, nil, "")
}

// page requests the profile's server-rendered page (GET /profile).
func (ss *session) page() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.ProfilePage
	return ss.do(e.Method, e.Path, nil, "")
}

// loginPage requests the login page (GET /login).
func (ss *session) loginPage() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.LoginPage
	return ss.do(e.Method, e.Path, nil, "")
}

// patch sends body (JSON) to the profile update route (PATCH /api/profile).
func (ss *session) patch(body string) *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.UpdateProfile
	return ss.do(e.Method, e.Path, []byte(body), "application/json")
}

// logout posts to the logout route.
func (ss *session) logout() *response {
	GinkgoHelper()
	e := ss.s.profile().Proxy.Logout
	return ss.do(e.Method, e.Path, nil, "")
}

// postLogin posts credentials to the login route in the profile's body shape.
func (ss *session) postLogin(email, password string) *response {
	GinkgoHelper()
	p := ss.s.profile()
	e := p.Proxy.Login
	f := p.Proxy.LoginFields
	if e.Body == "form" {
		v := url.Values{f.Email: {email}, f.Password: {password}}
		return ss.do(e.Method, e.Path, []byte(v.Encode()), "application/x-www-form-urlencoded")
	}
	b, err := json.Marshal(map[string]string{f.Email: email, f.Password: password})
	Expect(err).NotTo(HaveOccurred())
	return ss.do(e.Method, e.Path, b, "application/json")
}

// login logs in with the profile's credentials and returns the family and
// tokens the backend issued for it, read from the journal.
func (ss *session) login() loginResult {
	GinkgoHelper()
	s := ss.s
	creds := s.profile().Credentials
	mark := s.mark()
	resp := ss.postLogin(creds.Email, creds.Password)
	Expect(resp.Status).To(SatisfyAny(Equal(http.StatusOK), SatisfyAll(BeNumerically(">=", 300), BeNumerically("<", 400))),
		"logging in through the target with the profile's credentials should succeed (200, or a redirect for a form); %s", resp)
	s.learnCookieName(resp)
	Expect(resp.setsCookie(s.sessionCookieName())).NotTo(BeNil(), "the login response should set the session cookie %q; %s", s.sessionCookieName(), resp)

	var l loginResult
	l.Resp = resp
	for _, e := range s.journal(mark) {
		if e.Route != control.RouteLogin || e.Outcome != control.OutcomeOK {
			continue
		}
		for _, t := range e.Issued {
			l.Family = t.Family
			switch t.Kind {
			case control.Access:
				l.Access = t.Value
			case control.Refresh:
				l.Refresh = t.Value
			}
		}
	}
	Expect(l.Family).NotTo(BeEmpty(), "the backend should have journaled a successful POST /auth/login from the target")
	return l
}
