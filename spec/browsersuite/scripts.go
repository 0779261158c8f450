package browsersuite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/leak"
	"github.com/refreshspec/refreshspec/internal/sessioncookie"
)

// scriptView is everything a script in the page can read of the session.
type scriptView struct {
	Cookie  string      `json:"cookie"`
	Local   [][2]string `json:"local"`
	Session [][2]string `json:"session"`
}

func (s *session) scriptView() scriptView {
	const js = `(() => {
		const all = (st) => { const out = []; for (let i = 0; i < st.length; i++) { const k = st.key(i); out.push([k, String(st.getItem(k))]); } return out; };
		return {cookie: document.cookie, local: all(localStorage), session: all(sessionStorage)};
	})()`
	ctx, cancel := s.stepContext()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[scriptView](js))
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "reading document.cookie, localStorage and sessionStorage")
	return v
}

// expectNoTokenInScriptStorage checks that no token the backend issued is in
// document.cookie, localStorage or sessionStorage, raw or encoded.
func (s *session) expectNoTokenInScriptStorage() {
	ctx, cancel := s.stepContext()
	defer cancel()
	tokens, err := s.cfg.Proxy.Control.Tokens(ctx)
	Expect(err).NotTo(HaveOccurred(), "reading the issued tokens from the fake backend")
	Expect(tokens).NotTo(BeEmpty(), "the fake backend issued no token, so there is nothing to look for")

	view := s.scriptView()
	places := map[string]string{}
	for _, c := range splitCookies(view.Cookie) {
		places[fmt.Sprintf("document.cookie %q", c[0])] = c[1]
	}
	for name, kvs := range map[string][][2]string{"localStorage": view.Local, "sessionStorage": view.Session} {
		for _, kv := range kvs {
			places[fmt.Sprintf("%s key %q", name, kv[0])] = kv[0]
			places[fmt.Sprintf("%s[%q]", name, kv[0])] = kv[1]
		}
	}
	var leaks []string
	for where, value := range places {
		decoded := leak.Decode(value)
		for _, t := range tokens {
			if decoded.Contain(t.Value) {
				leaks = append(leaks, fmt.Sprintf("%s holds the %s token %s of family %s (generation %d)", where, t.Kind, control.Fingerprint(t.Value), t.Family, t.Generation))
			}
		}
	}
	slices.Sort(leaks)
	Expect(leaks).To(BeEmpty(), "page scripts can read issued tokens")
}

// expectNoSessionCookieInScript checks that document.cookie does not show the
// session cookie, so a script injected into the page cannot steal it.
func (s *session) expectNoSessionCookieInScript(l loginResult) {
	held := make([]string, 0, len(l.cookies))
	for _, c := range l.cookies {
		held = append(held, c.Name)
	}
	Expect(l.sessionCookies).NotTo(BeEmpty(), "logging in set no cookie in the browser (it holds %v)", held)
	// Each name stands for its set (a prefixed name, NAME.sig, chunks):
	// the browser must hold a cookie of each, and scripts see none of them.
	for _, name := range l.sessionCookies {
		Expect(slices.ContainsFunc(held, func(h string) bool { return sessioncookie.Matches([]string{name}, h) })).To(BeTrue(),
			"the browser does not hold the session cookie %q after logging in (it holds %v)", name, held)
	}
	for _, c := range splitCookies(s.scriptView().Cookie) {
		Expect(sessioncookie.Matches(l.sessionCookies, c[0])).To(BeFalse(), "document.cookie shows the session cookie %q to page scripts: it must be HttpOnly", c[0])
	}
}

// splitCookies splits document.cookie into name and value pairs.
func splitCookies(s string) [][2]string {
	var out [][2]string
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		out = append(out, [2]string{name, value})
	}
	return out
}
