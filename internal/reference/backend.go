package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

// maxBackendBody caps what the reference reads of a backend answer.
const maxBackendBody = 4 << 20

// backendClient talks to the backend in the dialect its mapping describes
// (package dialect): contract.md §1 by default, a team's own JSON API, or an
// OAuth 2.0 server. The mapping is the one place the wire format is decided:
// its request builders write login, refresh and logout, and its readers find
// the tokens, the user and the error code in the answers.
type backendClient struct {
	base    string
	mapping dialect.Mapping
	http    *http.Client
	timeout time.Duration
}

func newBackendClient(base string, m dialect.Mapping, timeout time.Duration) *backendClient {
	transport := &http.Transport{
		Proxy:                 nil, // the backend is reached directly, never through HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          200,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &backendClient{
		base:    base,
		mapping: m,
		timeout: timeout,
		http: &http.Client{
			Transport: transport,
			// A redirect from the backend is an answer to pass on, not to
			// follow with the Bearer token.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (b *backendClient) close() {
	b.http.CloseIdleConnections()
}

// backendAnswer is a backend response read in full.
type backendAnswer struct {
	Status      int
	ContentType string
	RetryAfter  string
	Body        []byte
}

// login sends the mapping's login: the json dialect's body, or an OAuth 2.0
// password grant with the client's authentication.
func (b *backendClient) login(ctx context.Context, email, password string) (*backendAnswer, error) {
	return b.send(ctx, func(ctx context.Context) (*http.Request, error) {
		return b.mapping.NewLoginRequest(ctx, b.base, email, password)
	})
}

// refresh presents a refresh token: the json dialect's refresh, or the
// refresh_token grant.
func (b *backendClient) refresh(ctx context.Context, refreshToken string) (*backendAnswer, error) {
	return b.send(ctx, func(ctx context.Context) (*http.Request, error) {
		return b.mapping.NewRefreshRequest(ctx, b.base, refreshToken)
	})
}

// logout ends the family of a refresh token: the json dialect's logout, or
// an RFC 7009 revocation.
func (b *backendClient) logout(ctx context.Context, refreshToken string) (*backendAnswer, error) {
	return b.send(ctx, func(ctx context.Context) (*http.Request, error) {
		return b.mapping.NewLogoutRequest(ctx, b.base, refreshToken)
	})
}

// do calls a resource (the mapping's me or profile route) with the access
// token as Bearer; body (JSON) may be nil.
func (b *backendClient) do(ctx context.Context, method, path, bearer string, body []byte) (*backendAnswer, error) {
	return b.send(ctx, func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		return req, nil
	})
}

// send builds one request under the backend timeout and reads its answer.
func (b *backendClient) send(ctx context.Context, build func(context.Context) (*http.Request, error)) (*backendAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, err := build(ctx)
	if err != nil {
		return nil, fmt.Errorf("backend request: %w", err)
	}
	method, path := req.Method, req.URL.Path
	req.Header.Set("Accept", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBackendBody+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading answer: %w", method, path, err)
	}
	if len(raw) > maxBackendBody {
		// Passing a cut answer on as if whole would be worse than a 502.
		return nil, fmt.Errorf("%s %s: the answer is over %d bytes", method, path, maxBackendBody)
	}
	return &backendAnswer{
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		RetryAfter:  resp.Header.Get("Retry-After"),
		Body:        raw,
	}, nil
}

var errMalformedAnswer = errors.New("malformed answer")

// readTokens reads a 200 login or refresh answer at the mapping's paths; an
// answer that lacks a token, or whose success flag is not true, is
// malformed, never an empty token to store.
func (b *backendClient) readTokens(body []byte) (dialect.Tokens, error) {
	t, err := b.mapping.ReadTokens(body)
	if err != nil {
		return t, fmt.Errorf("%w: %v", errMalformedAnswer, err)
	}
	if flag := b.mapping.SuccessFlag; dialect.Has(flag) {
		var doc any
		_ = json.Unmarshal(body, &doc) // ReadTokens decoded it already
		if v, _ := dialect.Lookup(doc, flag); v != true {
			return t, fmt.Errorf("%w: %s is not true", errMalformedAnswer, flag)
		}
	}
	return t, nil
}

// user is the user object as the proxy answers it (contract.md §2's login
// answer), whatever the backend names its fields.
type user struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// readUser reads the user object whose first name is at the dotted path
// firstName of body, its other fields beside it (dialect.UserFields). A
// missing field is left empty: tokens are what matter.
func readUser(body []byte, firstName string) user {
	var u user
	var doc any
	if !dialect.Has(firstName) || json.Unmarshal(body, &doc) != nil {
		return u
	}
	u.FirstName, _ = dialect.LookupString(doc, firstName)
	u.ID, _ = dialect.LookupString(doc, dialect.Sibling(firstName, "id"))
	u.Email, _ = dialect.LookupString(doc, dialect.Sibling(firstName, "email"))
	u.LastName, _ = dialect.LookupString(doc, dialect.Sibling(firstName, "lastName"))
	return u
}

// meFirstNameKeys are the keys of the path where the me answer carries the
// first name, for the profile page's script; nil when it carries none.
func (b *backendClient) meFirstNameKeys() []string {
	if !dialect.Has(b.mapping.Paths.MeFirstName) {
		return nil
	}
	return strings.Split(b.mapping.Paths.MeFirstName, ".")
}

// wrongCredentials reports whether a refused login means bad credentials:
// 401 in the json dialect (contract.md §1), an invalid_grant (400, some
// servers 401) for an OAuth 2.0 password grant (RFC 6749 §5.2).
func (b *backendClient) wrongCredentials(ans *backendAnswer) bool {
	if !b.mapping.PasswordGrant() {
		return ans.Status == http.StatusUnauthorized
	}
	code, _ := b.mapping.ReadError(ans.Body)
	return (ans.Status == http.StatusBadRequest || ans.Status == http.StatusUnauthorized) && code == "invalid_grant"
}
