package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBody bounds what the app reads of any body, the backend's or the
// client's.
const maxBody = 1 << 20

// tokens are what the session keeps of a login or a refresh.
type tokens struct {
	access, refresh string
}

// errInvalidGrant is the backend refusing a refresh token (401 or 400): the
// session is over.
var errInvalidGrant = errors.New("the backend refused the refresh token")

// errBadCredentials is the backend refusing a login.
var errBadCredentials = errors.New("the backend refused the credentials")

// backendError is a failure that says nothing about the session: the backend
// was down, slow, rate-limited or answered nonsense. The session is kept and
// the client gets status (502, 503 or 504) to try again later.
type backendError struct {
	status     int
	retryAfter string
	err        error
}

func (e *backendError) Error() string { return e.err.Error() }
func (e *backendError) Unwrap() error { return e.err }

// transportError turns a failed round trip into the status the client
// gets: 504 when BACKEND_TIMEOUT ran out, 502 otherwise.
func transportError(what string, err error) *backendError {
	if errors.Is(err, context.DeadlineExceeded) {
		return &backendError{status: http.StatusGatewayTimeout, err: fmt.Errorf("%s: timed out: %w", what, err)}
	}
	return &backendError{status: http.StatusBadGateway, err: fmt.Errorf("%s: %w", what, err)}
}

// backend speaks contract.md §1 to BACKEND_URL, every call bounded by
// BACKEND_TIMEOUT.
type backend struct {
	base    string
	timeout time.Duration
	client  *http.Client
}

// response is a backend answer read whole, so that a retry or a page can
// use it after the connection is gone.
type response struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
}

func (b *backend) do(ctx context.Context, method, path, bearer, contentType string, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, reader)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, transportError(method+" "+path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, transportError("reading "+method+" "+path, err)
	}
	return &response{
		status:      resp.StatusCode,
		contentType: resp.Header.Get("Content-Type"),
		retryAfter:  resp.Header.Get("Retry-After"),
		body:        raw,
	}, nil
}

func (b *backend) postJSON(ctx context.Context, path string, v any) (*response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b.do(ctx, http.MethodPost, path, "", "application/json", body)
}

// tokenAnswer is the part of a login or refresh answer the app reads.
type tokenAnswer struct {
	Success bool `json:"success"`
	Data    struct {
		Authorization struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		} `json:"authorization"`
		User json.RawMessage `json:"user"`
	} `json:"data"`
}

// parseTokens accepts an answer only when it carries both tokens as
// non-empty strings: anything else must not overwrite a working session.
func parseTokens(raw []byte) (tokens, json.RawMessage, error) {
	var a tokenAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return tokens{}, nil, fmt.Errorf("not a token answer: %w", err)
	}
	t := tokens{access: a.Data.Authorization.AccessToken, refresh: a.Data.Authorization.RefreshToken}
	if !a.Success || t.access == "" || t.refresh == "" {
		return tokens{}, nil, errors.New("the answer lacks success, the access token or the refresh token")
	}
	return t, a.Data.User, nil
}

// login exchanges credentials for tokens and the user.
func (b *backend) login(ctx context.Context, email, password string) (tokens, json.RawMessage, error) {
	resp, err := b.postJSON(ctx, "/auth/login", map[string]string{"email": email, "password": password})
	if err != nil {
		return tokens{}, nil, err
	}
	switch {
	case resp.status == http.StatusOK:
		t, user, err := parseTokens(resp.body)
		if err != nil {
			return tokens{}, nil, &backendError{status: http.StatusBadGateway, err: fmt.Errorf("login: %w", err)}
		}
		return t, user, nil
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusBadRequest:
		return tokens{}, nil, errBadCredentials
	default:
		return tokens{}, nil, answerError("login", resp)
	}
}

// refresh exchanges a refresh token for a new pair. Only a 401 or 400 is
// the end of the session; every other failure is a backendError.
func (b *backend) refresh(ctx context.Context, refreshToken string) (tokens, error) {
	resp, err := b.postJSON(ctx, "/auth/refresh", map[string]string{"refresh_token": refreshToken})
	if err != nil {
		return tokens{}, err
	}
	switch {
	case resp.status == http.StatusOK:
		t, _, err := parseTokens(resp.body)
		if err != nil {
			return tokens{}, &backendError{status: http.StatusBadGateway, err: fmt.Errorf("refresh: %w", err)}
		}
		return t, nil
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusBadRequest:
		return tokens{}, errInvalidGrant
	default:
		return tokens{}, answerError("refresh", resp)
	}
}

// answerError is an unexpected status from the backend: 503 with the
// backend's Retry-After for a rate limit, 502 for the rest.
func answerError(what string, resp *response) *backendError {
	if resp.status == http.StatusTooManyRequests {
		retryAfter := resp.retryAfter
		if retryAfter == "" {
			retryAfter = "1"
		}
		return &backendError{status: http.StatusServiceUnavailable, retryAfter: retryAfter, err: fmt.Errorf("%s: rate-limited (429)", what)}
	}
	return &backendError{status: http.StatusBadGateway, err: fmt.Errorf("%s: status %d", what, resp.status)}
}

// logout tells the backend to revoke the refresh token's family.
func (b *backend) logout(ctx context.Context, refreshToken string) error {
	resp, err := b.postJSON(ctx, "/auth/logout", map[string]string{"refresh_token": refreshToken})
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return fmt.Errorf("logout: status %d", resp.status)
	}
	return nil
}

// resource calls a protected route with the access token.
func (b *backend) resource(ctx context.Context, call resourceCall, access string) (*response, error) {
	return b.do(ctx, call.method, call.path, access, call.contentType, call.body)
}

// resourceCall is one protected backend request, kept whole so that the
// retry after a refresh sends the same method, body and Content-Type.
type resourceCall struct {
	method, path, contentType string
	body                      []byte
}
