package browsersuite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/refreshspec/refreshspec/internal/leak"
)

// bodyWait bounds the wait for the bodies of what the page loaded, at the
// end of a spec.
const bodyWait = 5 * time.Second

// traffic is every response a tab loaded, watched through Chromium's
// network events: the page, its redirects (with the Set-Cookies they
// carry) and whatever the page's own scripts fetch, such as a
// /api/auth/session-style JSON that hands the page a token. After each spec
// the leak scan of P8.4 reads their headers and bodies, and P1.2's check
// the Set-Cookies of the session among them.
type traffic struct {
	mu        sync.Mutex                   // guards the fields below; the listener runs on the tab's goroutine
	requests  map[network.RequestID]string // "GET /api/me", the request's latest hop
	extraInfo map[network.RequestID]bool   // raw headers came for it
	responses []leak.Response
	cookies   []setCookie
	seen      int             // responses whose headers came
	bodies    []chan struct{} // one per body fetch, closed when it ends
}

// setCookie is one Set-Cookie the browser got, and where.
type setCookie struct {
	where    string
	response int // which response set it: the Set-Cookies of one apply together
	cookie   *http.Cookie
}

func newTraffic() *traffic {
	return &traffic{requests: map[network.RequestID]string{}, extraInfo: map[network.RequestID]bool{}}
}

// listen starts recording the tab of ctx. The listener only records; the
// bodies are fetched in goroutines of their own, since a listener must not
// run a command.
func (tr *traffic) listen(ctx context.Context) error {
	return chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request != nil {
				tr.request(e.RequestID, e.Request.Method, e.Request.URL)
			}
		case *network.EventResponseReceivedExtraInfo:
			tr.headers(e.RequestID, e.StatusCode, e.Headers, true)
		case *network.EventResponseReceived:
			if e.Response != nil && !e.HasExtraInfo {
				tr.headers(e.RequestID, e.Response.Status, e.Response.Headers, false)
			}
		case *network.EventLoadingFinished:
			done := make(chan struct{})
			tr.mu.Lock()
			tr.bodies = append(tr.bodies, done)
			tr.mu.Unlock()
			go tr.body(ctx, e.RequestID, done)
		}
	})
}

func (tr *traffic) request(id network.RequestID, method, rawURL string) {
	what := method + " " + rawURL
	if u, err := url.Parse(rawURL); err == nil {
		what = method + " " + u.RequestURI()
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.requests[id] = what
}

// headers records a response's headers: the raw ones of every hop, a
// redirect's included (raw), or the parsed ones of a response that has no
// raw ones.
func (tr *traffic) headers(id network.RequestID, status int64, h network.Headers, raw bool) {
	header := http.Header{}
	for k, v := range h {
		for line := range strings.SplitSeq(fmt.Sprint(v), "\n") {
			header.Add(k, line)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if raw {
		tr.extraInfo[id] = true
	}
	where := fmt.Sprintf("browser: %s → %d", tr.requests[id], status)
	tr.responses = append(tr.responses, leak.Response{Where: where, Header: header})
	tr.seen++
	for _, c := range (&http.Response{Header: header}).Cookies() {
		tr.cookies = append(tr.cookies, setCookie{where: where, response: tr.seen, cookie: c})
	}
}

// body fetches the body of a finished response and records it.
func (tr *traffic) body(ctx context.Context, id network.RequestID, done chan struct{}) {
	defer close(done)
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (network.GetResponseBodyResult, error) {
		return cdp.Call(ctx, t, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
	})
	if err != nil || len(res.Body) == 0 {
		return // a redirect or a page gone: no body to look at
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.responses = append(tr.responses, leak.Response{Where: fmt.Sprintf("browser: %s (body)", tr.requests[id]), Body: res.Body})
}

// recorded waits a moment for the body fetches under way and returns what
// the tab loaded so far.
func (tr *traffic) recorded() ([]leak.Response, []setCookie) {
	tr.mu.Lock()
	pending := append([]chan struct{}(nil), tr.bodies...)
	tr.mu.Unlock()
	timer := time.NewTimer(bodyWait)
	defer timer.Stop()
	for _, done := range pending {
		select {
		case <-done:
		case <-timer.C:
			return tr.snapshot()
		}
	}
	return tr.snapshot()
}

func (tr *traffic) snapshot() ([]leak.Response, []setCookie) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]leak.Response(nil), tr.responses...), append([]setCookie(nil), tr.cookies...)
}
