package proxysuite

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// The scenarios whose text covers page and api routes alike (P3, P5, P6)
// run on every route of the target that calls a backend resource with the
// session: the server-rendered page, the api route, and the update route
// that forwards a body. Each outcome is judged the way that kind of route
// answers: a page with its status, its redirect and the cookie, never as if
// it were an api route, and an api route with JSON.

// updateBody is what the update route is sent where the body does not
// matter to the scenario: a change the backend takes.
const updateBody = `{"lastName":"Tester"}`

// route is one route of the target that calls a backend resource.
type route struct {
	// Name says which route, for messages: "page GET /profile".
	Name string
	// Page is set for the server-rendered page: a lost session is a
	// redirect to the login page, a failure an error page.
	Page bool
	// Resource is the backend route it calls.
	Resource control.Route
	method   string
	path     string
	body     []byte
}

// routes are the page, the api route and the update route of the profile.
func (s *suite) routes() []route {
	p := s.profile().Proxy
	return []route{
		{Name: "page " + p.ProfilePage.Method + " " + p.ProfilePage.Path, Page: true, Resource: control.RouteMe,
			method: p.ProfilePage.Method, path: p.ProfilePage.Path},
		{Name: "api " + p.Me.Method + " " + p.Me.Path, Resource: control.RouteMe,
			method: p.Me.Method, path: p.Me.Path},
		{Name: "update " + p.UpdateProfile.Method + " " + p.UpdateProfile.Path, Resource: control.RouteProfile,
			method: p.UpdateProfile.Method, path: p.UpdateProfile.Path, body: []byte(updateBody)},
	}
}

// apiRoutes are the routes that answer in JSON: the api route and the
// update route.
func (s *suite) apiRoutes() []route {
	var out []route
	for _, rt := range s.routes() {
		if !rt.Page {
			out = append(out, rt)
		}
	}
	return out
}

// send requests the route without asserting, so that it can run in
// goroutines.
func (rt route) send(ss *session) (*response, error) {
	if rt.body != nil {
		// The update route changes state: it goes with the profile's CSRF
		// token when the profile asks for one, as patch does.
		return ss.sendProtected(profile.CSRFOnUpdate, rt.method, rt.path, rt.body, "application/json")
	}
	return ss.send(rt.method, rt.path, nil, "")
}

// do is send that fails the spec on a transport error.
func (rt route) do(ss *session) *response {
	GinkgoHelper()
	r, err := rt.send(ss)
	Expect(err).NotTo(HaveOccurred(), "the target should answer the %s", rt.Name)
	return r
}

// endsSession reports whether resp tells the client its session is over:
// a redirect to the login page, or for an api route a 401.
func (s *suite) endsSession(rt route, resp *response) bool {
	if resp.isLoginRedirect(s.profile().Proxy.LoginPage.Path) {
		return true
	}
	return !rt.Page && resp.Status == http.StatusUnauthorized
}

// expectSessionEnded checks the outcome of a session that cannot be
// recovered, as the route's kind gives it (contract.md §2): a page
// redirects (302, 303 or 307) to the login page, an api route answers 401
// JSON; either way the session cookie is cleared.
func (s *suite) expectSessionEnded(rt route, ss *session, resp *response) {
	GinkgoHelper()
	loginPath := s.profile().Proxy.LoginPage.Path
	if rt.Page {
		Expect(resp.isLoginRedirect(loginPath)).To(BeTrue(),
			"the %s should redirect (302, 303 or 307) to %s; %s, Location %q", rt.Name, loginPath, resp, resp.Header.Get("Location"))
	} else {
		Expect(resp.Status).To(Equal(http.StatusUnauthorized), "the %s should answer 401; %s", rt.Name, resp)
		Expect(resp.Header.Get("Content-Type")).To(ContainSubstring("json"), "the %s's 401 should be JSON; %s", rt.Name, resp)
	}
	s.expectCleared(ss, resp)
}
