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
	"time"
)

// Backend paths of contract.md §1.
const (
	pathLogin   = "/auth/login"
	pathRefresh = "/auth/refresh"
	pathLogout  = "/auth/logout"
	pathMe      = "/api/user/me"
	pathProfile = "/api/user/profile"
)

// maxBackendBody caps what the reference reads of a backend answer.
const maxBackendBody = 4 << 20

// backendClient talks to the backend of contract.md §1.
type backendClient struct {
	base    string
	http    *http.Client
	timeout time.Duration
}

func newBackendClient(base string, timeout time.Duration) *backendClient {
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

// do sends one request; body may be nil. bearer "" sends no Authorization.
func (b *backendClient) do(ctx context.Context, method, path, bearer string, body []byte) (*backendAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
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

// tokenPair is the authorization object of a login or refresh answer.
type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// user is the user object of contract.md §1.
type user struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// loginEnvelope is the 200 answer of /auth/login and /auth/refresh.
type loginEnvelope struct {
	Success bool `json:"success"`
	Data    struct {
		Authorization tokenPair       `json:"authorization"`
		User          json.RawMessage `json:"user"`
	} `json:"data"`
}

var errMalformedAnswer = errors.New("malformed answer")

// parseTokens reads a 200 login or refresh answer; an answer that lacks a
// token is malformed, never an empty token to store.
func parseTokens(body []byte) (*loginEnvelope, error) {
	var env loginEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformedAnswer, err)
	}
	if !env.Success {
		return &env, fmt.Errorf("%w: success is not true", errMalformedAnswer)
	}
	if env.Data.Authorization.AccessToken == "" || env.Data.Authorization.RefreshToken == "" {
		return &env, fmt.Errorf("%w: access_token or refresh_token missing", errMalformedAnswer)
	}
	return &env, nil
}

func refreshBody(refreshToken string) []byte {
	b, _ := json.Marshal(map[string]string{"refresh_token": refreshToken})
	return b
}
