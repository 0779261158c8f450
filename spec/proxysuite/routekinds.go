package proxysuite

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/htmlsel"
	"github.com/refreshspec/refreshspec/profile"
)

// routeKind is one of the kinds of protected route a page that fans out
// requests mixes: the server-rendered page, the api route, the update.
type routeKind int

const (
	kindPage routeKind = iota
	kindAPI
	kindUpdate
)

func (k routeKind) String() string {
	return [...]string{"page", "api", "update"}[k]
}

// mixedKind is the kind of the i-th request of a mixed burst: page, api,
// update, page, ...
func mixedKind(i int) routeKind { return routeKind(i % 3) }

// sendKind sends one request of kind k without asserting; an update
// carries a body of its own (tag), so that the backend's journal tells
// which request it forwarded.
func (ss *session) sendKind(k routeKind, tag string) (*response, error) {
	p := ss.s.profile().Proxy
	switch k {
	case kindPage:
		return ss.send(p.ProfilePage.Method, p.ProfilePage.Path, nil, "")
	case kindUpdate:
		body, _ := json.Marshal(map[string]string{"lastName": "Pleasance", "nickname": tag})
		return ss.sendProtected(profile.CSRFOnUpdate, p.UpdateProfile.Method, p.UpdateProfile.Path, body, "application/json")
	}
	return ss.sendAPI()
}

// expectKindSucceeded judges one answer as its kind's success: the page a
// 200 HTML page with the user's first name, the api route a 200 JSON answer
// with the user, the update a 2xx answer whose body the backend accepted
// exactly once (es holds the backend's journal of the session).
func (s *suite) expectKindSucceeded(what string, k routeKind, r *response, es []control.Entry) {
	GinkgoHelper()
	p := s.profile()
	switch k {
	case kindPage:
		Expect(r.Status).To(Equal(http.StatusOK), "%s (the page) should answer 200; it got %s", what, r)
		Expect(r.Header.Get("Content-Type")).To(ContainSubstring("text/html"), "%s (the page) should be HTML; it got %s", what, r)
		shown, detail := htmlsel.TextContains(r.Body, p.Proxy.Selectors.FirstName, p.Credentials.FirstName)
		Expect(shown).To(BeTrue(), "%s (the page) should show the user's first name %q in %s (%s); body: %.300s",
			what, p.Credentials.FirstName, p.Proxy.Selectors.FirstName, detail, r.Body)
	case kindAPI:
		Expect(r.Status).To(Equal(http.StatusOK), "%s (the api route) should answer 200; it got %s", what, r)
		Expect(r.Header.Get("Content-Type")).To(ContainSubstring("json"), "%s (the api route) should answer JSON; it got %s", what, r)
		Expect(string(r.Body)).To(ContainSubstring(p.Credentials.FirstName), "%s (the api route) should carry the user; it got %s", what, r)
	case kindUpdate:
		Expect(r.Status).To(BeNumerically(">=", 200), "%s (the update) should answer 2xx; it got %s", what, r)
		Expect(r.Status).To(BeNumerically("<", 300), "%s (the update) should answer 2xx; it got %s", what, r)
		accepted := 0
		for _, e := range onRoutes(es, control.RouteProfile) {
			if e.Status >= 200 && e.Status < 300 && sameJSON(e.Body, r.Sent) {
				accepted++
			}
		}
		Expect(accepted).To(Equal(1), "%s (the update) should reach the backend and be accepted exactly once with its body %s; it was accepted %d times",
			what, r.Sent, accepted)
	}
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a string, b []byte) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal(b, &y) != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(string(b))
	}
	return reflect.DeepEqual(x, y)
}
