package backendsuite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// bodyShown is how much of a body a failure message quotes: enough to see
// an HTML error page or a wrong envelope, short enough to read.
const bodyShown = 300

// maxAnswer caps how much of an answer the suite reads, so a backend that
// streams without end fails the scenario instead of filling memory.
const maxAnswer = 4 << 20

// client is how a backend spec reaches the backend under test: over HTTP
// only, through the profile's mapping (package dialect), with its own
// http.Client whose timeout bounds every request (a backend that hangs fails
// the scenario at hand, never the suite). It counts every request it sends.
type client struct {
	base    string
	prof    *profile.Profile
	http    *http.Client
	timeout time.Duration
	// control is a fake backend's control API, nil for a real backend.
	control *control.Client
	// suite holds what outlives one spec: the request count of the whole
	// run and whether B2.8 met the rate limit.
	suite *suite
	// specSent counts the requests of the current spec.
	specSent int
}

// answer is one answer of the backend under test, read in full.
type answer struct {
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
	// Doc is the body decoded as JSON; nil when the body is not JSON.
	Doc any
}

// String shows what was received: status, content type and the first
// bodyShown bytes of the body, with the tokens of a JSON body as
// fingerprints: a failure message lands in CI logs and reports, and the
// tokens of a real backend's test user are still credentials.
func (a *answer) String() string {
	if a == nil {
		return "no answer"
	}
	body := a.Body
	if a.Doc != nil {
		if b, err := json.Marshal(hideTokens(a.Doc, "")); err == nil {
			body = b
		}
	}
	return fmt.Sprintf("%s %s answered %d, Content-Type %q, body %s",
		a.Method, a.Path, a.Status, a.Header.Get("Content-Type"), excerpt(body))
}

// hideTokens returns doc with every string under a key that names a token
// (access_token, refreshToken, id_token; not token_type) replaced by its
// fingerprint.
func hideTokens(doc any, key string) any {
	switch v := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = hideTokens(x, k)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = hideTokens(x, key)
		}
		return out
	case string:
		k := strings.ToLower(key)
		if strings.Contains(k, "token") && !strings.HasSuffix(k, "type") && v != "" {
			return "fingerprint:" + control.Fingerprint(v)
		}
	}
	return doc
}

// isJSON reports whether the answer says it is JSON and its body decodes.
func (a *answer) isJSON() bool {
	mt, _, err := mime.ParseMediaType(a.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) && a.Doc != nil
}

// str returns the non-empty string at a dotted JSON path of the body.
func (a *answer) str(path string) (string, bool) {
	if a.Doc == nil || path == "" {
		return "", false
	}
	return dialect.LookupString(a.Doc, path)
}

// lookup returns the value at a dotted JSON path of the body.
func (a *answer) lookup(path string) (any, bool) {
	if a.Doc == nil || path == "" {
		return nil, false
	}
	return dialect.Lookup(a.Doc, path)
}

func excerpt(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	shown := b
	if len(shown) > bodyShown {
		shown = shown[:bodyShown]
	}
	s := strings.ToValidUTF8(string(shown), "\uFFFD")
	if len(b) > bodyShown {
		return fmt.Sprintf("%q... (%d bytes in all)", s, len(b))
	}
	return fmt.Sprintf("%q", s)
}

// build makes one request to the backend under test, bound to ctx. The
// dialect's request builders (dialect.Mapping's NewLoginRequest and its
// siblings) are what build most.
type build func(ctx context.Context) (*http.Request, error)

// send builds a request, sends it and reads the whole answer; what names it
// in logs and failures ("refresh with an unknown token"). The error is for
// no answer at all (refused, reset, timed out): callers fail the scenario
// with it.
func (c *client) send(what string, b build) (*answer, error) {
	c.suite.sent.Add(1)
	c.specSent++
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := b(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: building the request: %w", what, err)
	}
	req.Header.Set("Accept", "application/json")
	body := requestBody(req)
	fmt.Fprintf(GinkgoWriter, "-> %s %s (%s, %d bytes): %s\n", req.Method, req.URL.Path, what, len(body), logBody(body))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.noAnswer(req, what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s answered %d but its body could not be read: %w",
			what, req.Method, req.URL.Path, resp.StatusCode, c.noAnswer(req, what, err))
	}
	a := &answer{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Header: resp.Header, Body: raw}
	var doc any
	if json.Unmarshal(raw, &doc) == nil {
		a.Doc = doc
	}
	fmt.Fprintf(GinkgoWriter, "<- %d %q: %s\n", a.Status, a.Header.Get("Content-Type"), excerpt(raw))
	return a, nil
}

// requestBody is a copy of req's body for the log; the request builders'
// bodies can be read again.
func requestBody(req *http.Request) []byte {
	if req.GetBody == nil {
		return nil
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func (c *client) noAnswer(req *http.Request, what string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrHandlerTimeout) || isTimeout(err) {
		return fmt.Errorf("%s: %s %s got no answer within %s (the backend hangs or is too slow): %w",
			what, req.Method, req.URL.Path, c.timeout, err)
	}
	return fmt.Errorf("%s: %s %s got no answer: %w", what, req.Method, req.URL.Path, err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func logBody(b []byte) string {
	if len(b) > 2*bodyShown {
		return fmt.Sprintf("(%d bytes, not shown)", len(b))
	}
	if !utf8.Valid(b) {
		return "(binary)"
	}
	return string(b)
}
