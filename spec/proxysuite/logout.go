package proxysuite

import (
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// P8.7 and P8.8: logout ends the session locally whatever the backend says,
// and only on an unsafe method. (P8.5, logout's revocation at the backend,
// and P8.6 are in security.go.)

// logoutFailure is one way the backend's logout fails in P8.7: the fault
// for a target whose backend timeout is the argument.
type logoutFailure struct {
	what  string
	fault func(timeout time.Duration) control.Fault
}

// logoutFailures are the failures P8.7 names: a 5xx, a timeout, a dropped
// connection.
var logoutFailures = []logoutFailure{
	{"answered 500", func(time.Duration) control.Fault {
		return control.Fault{Route: control.RouteLogout, Count: 1, Kind: control.FaultStatus, Status: http.StatusInternalServerError}
	}},
	{"answered 503", func(time.Duration) control.Fault {
		return control.Fault{Route: control.RouteLogout, Count: 1, Kind: control.FaultStatus, Status: http.StatusServiceUnavailable}
	}},
	{"timed out", func(timeout time.Duration) control.Fault {
		return control.Fault{Route: control.RouteLogout, Count: 1, Kind: control.FaultDelay, Delay: control.Duration(timeout + delayGrace)}
	}},
	{"dropped the connection", func(time.Duration) control.Fault {
		return control.Fault{Route: control.RouteLogout, Count: 1, Kind: control.FaultDrop}
	}},
}

// P8.7: each failure on a session of its own. Whatever the logout answers,
// the client must hold no working session afterwards: its jar has no
// session cookie, or the cookie it kept is anonymous (a server-side session
// destroyed behind it). Whether the target told the backend at all is
// P8.5's.
func (s *suite) logoutClearsWhateverTheBackendSaid() {
	timeout := s.profile().Target.BackendTimeout.Std()
	for _, f := range logoutFailures {
		By("the backend's logout " + f.what)
		ss := s.newSession()
		ss.login()
		s.queue(f.fault(timeout))
		mark := s.mark()
		resp := ss.logout()
		es := s.journal(mark)
		if len(onRoutes(es, control.RouteLogout)) == 0 {
			By("the target did not call the backend's logout (P8.5's failure, not this one's)")
		}
		Expect(s.backend().ClearFaults(s.ctx)).To(Succeed(), "clearing a fault the target did not meet")
		Expect(s.sessionCleared(ss)).To(holds(),
			"when the backend's logout %s the user should be logged out locally all the same, but after %s the client still holds a working session",
			f.what, describeResponse(resp))
	}
}

// P8.8: GET on the logout path, as an <img src=/logout> on another site
// sends it (no Origin, the jar's cookie along), must not end the session.
// Any answer will do (404, 405, a confirmation page, a redirect) so long
// as the backend saw no logout and the session still works.
func (s *suite) logoutNeedsUnsafeMethod() {
	e := s.profile().Proxy.Logout
	Expect(unsafeMethod(e.Method)).To(holds(),
		"logout should need an unsafe method (POST, say), but the profile maps it to %s %s", e.Method, e.Path)
	ss := s.newSession()
	login := ss.login()
	mark := s.mark()
	resp := ss.do(http.MethodGet, e.Path, nil, "")
	es := s.journal(mark)
	what := fmt.Sprintf("GET %s (what an <img src=%q> on another site sends)", e.Path, e.Path)
	Expect(len(onRoutes(es, control.RouteLogout)) == 0).To(holds(),
		"%s should not log out, but the backend saw a logout; the backend saw:\n%s", what, s.journalText(es))
	Expect(!s.clearsSession(resp)).To(holds(),
		"%s should not end the session, but its answer clears the session cookie: %s", what, describeResponse(resp))

	mark = s.mark()
	api := ss.api()
	es = s.journal(mark)
	Expect(api.Status == http.StatusOK).To(holds(),
		"after %s the session should still work, but the api route answered %s", what, describeResponse(api))
	for _, c := range withToken(es) {
		Expect(c.Family == login.Family).To(holds(),
			"after %s the api route should present the session's own tokens (family %s), but it presented %s", what, login.Family, presentedTokens([]control.Entry{c}))
	}
}
