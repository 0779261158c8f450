package spec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// beBodyShown is how much of a body a failure message quotes: enough to see
// an HTML error page or a wrong envelope, short enough to read.
const beBodyShown = 300

// beMaxAnswer caps how much of an answer the suite reads, so a backend that
// streams without end fails the scenario instead of filling memory.
const beMaxAnswer = 4 << 20

// beClient is how a backend spec reaches the backend under test: over HTTP
// only, through the profile's paths, dialect and field names, with its own
// http.Client whose timeout bounds every request (a backend that hangs fails
// the scenario at hand, never the suite). It counts every request it sends.
type beClient struct {
	base    string
	prof    *profile.Profile
	http    *http.Client
	timeout time.Duration
	// control is a fake backend's control API, nil for a real backend.
	control *control.Client
	// suite holds what outlives one spec: the request count of the whole
	// run and whether B2.8 met the rate limit.
	suite *beSuite
	// specSent counts the requests of the current spec.
	specSent int
}

// beAnswer is one answer of the backend under test, read in full.
type beAnswer struct {
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
	// Doc is the body decoded as JSON; nil when the body is not JSON.
	Doc any
}

// String shows what was received: status, content type and the first
// beBodyShown bytes of the body.
func (a *beAnswer) String() string {
	if a == nil {
		return "no answer"
	}
	return fmt.Sprintf("%s %s answered %d, Content-Type %q, body %s",
		a.Method, a.Path, a.Status, a.Header.Get("Content-Type"), beExcerpt(a.Body))
}

// isJSON reports whether the answer says it is JSON and its body decodes.
func (a *beAnswer) isJSON() bool {
	mt, _, err := mime.ParseMediaType(a.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) && a.Doc != nil
}

// str returns the non-empty string at a dotted JSON path of the body.
func (a *beAnswer) str(path string) (string, bool) {
	if a.Doc == nil || path == "" {
		return "", false
	}
	return profile.LookupString(a.Doc, path)
}

// lookup returns the value at a dotted JSON path of the body.
func (a *beAnswer) lookup(path string) (any, bool) {
	if a.Doc == nil || path == "" {
		return nil, false
	}
	return profile.Lookup(a.Doc, path)
}

func beExcerpt(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	shown := b
	if len(shown) > beBodyShown {
		shown = shown[:beBodyShown]
	}
	s := strings.ToValidUTF8(string(shown), "\uFFFD")
	if len(b) > beBodyShown {
		return fmt.Sprintf("%q... (%d bytes in all)", s, len(b))
	}
	return fmt.Sprintf("%q", s)
}

// beRequest is one request to the backend under test.
type beRequest struct {
	method      string
	path        string
	contentType string
	body        []byte
	bearer      string
	// what names the request in logs and failures ("refresh with an unknown token").
	what string
}

// send sends r and reads the whole answer. The error is for no answer at all
// (refused, reset, timed out): callers fail the scenario with it.
func (c *beClient) send(r beRequest) (*beAnswer, error) {
	c.suite.sent.Add(1)
	c.specSent++
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return nil, fmt.Errorf("%s: building %s %s: %w", r.what, r.method, r.path, err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	fmt.Fprintf(GinkgoWriter, "-> %s %s (%s, %d bytes): %s\n", r.method, r.path, r.what, len(r.body), beLogBody(r.body))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.noAnswer(r, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, beMaxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s answered %d but its body could not be read: %w",
			r.what, r.method, r.path, resp.StatusCode, c.noAnswer(r, err))
	}
	a := &beAnswer{Method: r.method, Path: r.path, Status: resp.StatusCode, Header: resp.Header, Body: raw}
	var doc any
	if json.Unmarshal(raw, &doc) == nil {
		a.Doc = doc
	}
	fmt.Fprintf(GinkgoWriter, "<- %d %q: %s\n", a.Status, a.Header.Get("Content-Type"), beExcerpt(raw))
	return a, nil
}

func (c *beClient) noAnswer(r beRequest, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrHandlerTimeout) || beIsTimeout(err) {
		return fmt.Errorf("%s: %s %s got no answer within %s (the backend hangs or is too slow): %w",
			r.what, r.method, r.path, c.timeout, err)
	}
	return fmt.Errorf("%s: %s %s got no answer: %w", r.what, r.method, r.path, err)
}

func beIsTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func beLogBody(b []byte) string {
	if len(b) > 2*beBodyShown {
		return fmt.Sprintf("(%d bytes, not shown)", len(b))
	}
	if !utf8.Valid(b) {
		return "(binary)"
	}
	return string(b)
}

// encode writes fields as the endpoint's body kind: a JSON object or a form.
func beEncode(kind string, fields [][2]string) (contentType string, body []byte) {
	if kind == "form" {
		v := url.Values{}
		for _, f := range fields {
			v.Add(f[0], f[1])
		}
		return "application/x-www-form-urlencoded", []byte(v.Encode())
	}
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f[0]] = f[1]
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return "application/json", b
}

func (c *beClient) oauth2() bool { return c.prof.Backend.Dialect == profile.DialectOAuth2 }

// passwordGrant reports whether login is an RFC 6749 §4.3 password grant
// (an oauth2 backend whose login endpoint takes a form) rather than the JSON
// login of contract.md §1.
func (c *beClient) passwordGrant() bool {
	return c.oauth2() && c.prof.Backend.Login.Body == "form"
}

func (c *beClient) clientCredentials() [][2]string {
	var f [][2]string
	if id := c.prof.Backend.ClientID; id != "" {
		f = append(f, [2]string{"client_id", id})
	}
	if s := c.prof.Backend.ClientSecret; s != "" {
		f = append(f, [2]string{"client_secret", s})
	}
	return f
}

// login sends the profile's login request with these credentials.
func (c *beClient) login(email, password, what string) (*beAnswer, error) {
	e := c.prof.Backend.Login
	var fields [][2]string
	if c.passwordGrant() {
		fields = append([][2]string{{"grant_type", "password"}, {"username", email}, {"password", password}}, c.clientCredentials()...)
	} else {
		fields = [][2]string{{c.prof.Backend.LoginFields.Email, email}, {c.prof.Backend.LoginFields.Password, password}}
	}
	ct, body := beEncode(e.Body, fields)
	return c.send(beRequest{method: e.Method, path: e.Path, contentType: ct, body: body, what: what})
}

// refreshFields are the fields of a refresh request presenting token in the
// profile's dialect.
func (c *beClient) refreshFields(token string) [][2]string {
	name := c.prof.Backend.Fields.RefreshToken
	if c.oauth2() {
		return append([][2]string{{"grant_type", "refresh_token"}, {name, token}}, c.clientCredentials()...)
	}
	return [][2]string{{name, token}}
}

// refresh presents a refresh token in the profile's dialect.
func (c *beClient) refresh(token, what string) (*beAnswer, error) {
	ct, body := beEncode(c.prof.Backend.Refresh.Body, c.refreshFields(token))
	return c.refreshRaw(ct, body, what)
}

// refreshRaw sends any body to the refresh endpoint, for malformed requests.
func (c *beClient) refreshRaw(contentType string, body []byte, what string) (*beAnswer, error) {
	e := c.prof.Backend.Refresh
	return c.send(beRequest{method: e.Method, path: e.Path, contentType: contentType, body: body, what: what})
}

// logout presents a refresh token to the logout endpoint.
func (c *beClient) logout(token, what string) (*beAnswer, error) {
	e := c.prof.Backend.Logout
	fields := [][2]string{{c.prof.Backend.Fields.RefreshToken, token}}
	if c.oauth2() && e.Body == "form" {
		fields = append(fields, c.clientCredentials()...)
	}
	ct, body := beEncode(e.Body, fields)
	return c.send(beRequest{method: e.Method, path: e.Path, contentType: ct, body: body, what: what})
}

// me calls the protected resource with an access token.
func (c *beClient) me(access, what string) (*beAnswer, error) {
	e := c.prof.Backend.Me
	return c.send(beRequest{method: e.Method, path: e.Path, bearer: access, what: what})
}

// beTokens are the tokens one token answer carried.
type beTokens struct {
	Access  string
	Refresh string
	// ExpiresIn is the access token's lifetime in seconds, when the answer says it.
	ExpiresIn    float64
	HasExpiresIn bool
}

// tokens reads the tokens of a successful login or refresh answer at the
// profile's paths. The error says what is missing and what was received.
func (c *beClient) tokens(a *beAnswer) (beTokens, error) {
	p := c.prof.Backend.Paths
	access, refresh, expires := p.AccessToken, p.RefreshToken, p.ExpiresIn
	var t beTokens
	var ok bool
	if a.Doc == nil {
		return t, fmt.Errorf("the body is not JSON: %s", a)
	}
	if t.Access, ok = a.str(access); !ok {
		return t, fmt.Errorf("no access token (a non-empty string) at %q: %s", access, a)
	}
	if t.Refresh, ok = a.str(refresh); !ok {
		return t, fmt.Errorf("no refresh token (a non-empty string) at %q: %s", refresh, a)
	}
	if v, ok := a.lookup(expires); ok {
		if n, isNum := v.(float64); isNum {
			t.ExpiresIn, t.HasExpiresIn = n, true
		}
	}
	return t, nil
}

// loginTokens reads the tokens of a login answer. An oauth2 backend with a
// JSON login (not a password grant) answers its login in the JSON dialect's
// envelope, so when the profile's (oauth2) paths find nothing there, the
// JSON dialect's paths of contract.md §1 are tried.
func (c *beClient) loginTokens(a *beAnswer) (beTokens, error) {
	t, err := c.tokens(a)
	if err == nil || !c.oauth2() || c.passwordGrant() {
		return t, err
	}
	jsonDialect := *c
	prof := *c.prof
	prof.Backend.Paths = profile.Default().Backend.Paths
	jsonDialect.prof = &prof
	if t2, err2 := jsonDialect.tokens(a); err2 == nil {
		return t2, nil
	}
	return t, err
}

// familyOf returns the fake backend's family of an issued token.
func (c *beClient) familyOf(token string) (control.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	all, err := c.control.Tokens(ctx)
	if err != nil {
		return control.Token{}, fmt.Errorf("reading the fake backend's tokens: %w", err)
	}
	for _, t := range all {
		if t.Value == token {
			return t, nil
		}
	}
	return control.Token{}, fmt.Errorf("the fake backend's control API does not know the token %s", beFingerprint(token))
}

// beFingerprint is how failure messages name a token: enough to tell two
// apart, not the whole secret.
func beFingerprint(token string) string {
	if len(token) <= 10 {
		return fmt.Sprintf("%q", token)
	}
	return fmt.Sprintf("%q...(%d chars)", token[:6], len(token))
}

// beRandom returns a token-shaped random string no backend issued.
func beRandom(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}
