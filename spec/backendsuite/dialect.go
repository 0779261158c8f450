package backendsuite

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// The requests of the backend suite, in the profile's mapping: the
// dialect's request builders send what a proxy sends (contract.md §1's JSON,
// a team's own JSON, or OAuth 2.0's password and refresh_token grants and RFC
// 7009 revocation, with the client's authentication), and its readers find
// the values of the answers.

// mapping is the profile's backend mapping.
func (c *client) mapping() *dialect.Mapping { return &c.prof.Backend.Mapping }

func (c *client) oauth2() bool { return c.mapping().IsOAuth2() }

// login sends the mapping's login request with these credentials.
func (c *client) login(email, password, what string) (*answer, error) {
	return c.send(what, func(ctx context.Context) (*http.Request, error) {
		return c.mapping().NewLoginRequest(ctx, c.base, email, password)
	})
}

// refresh presents a refresh token in the mapping's dialect.
func (c *client) refresh(token, what string) (*answer, error) {
	return c.send(what, func(ctx context.Context) (*http.Request, error) {
		return c.mapping().NewRefreshRequest(ctx, c.base, token)
	})
}

// refreshRaw sends any body to the refresh endpoint, for malformed requests,
// with the OAuth 2.0 client's HTTP Basic authentication where the mapping
// has it (a body of the client's own carries ClientParams instead).
func (c *client) refreshRaw(contentType string, body []byte, what string) (*answer, error) {
	return c.send(what, func(ctx context.Context) (*http.Request, error) {
		e := c.mapping().Refresh
		req, err := http.NewRequestWithContext(ctx, e.Method, c.base+e.Path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		c.mapping().SetClientBasic(req)
		return req, nil
	})
}

// logout ends the family of a refresh token: the json dialect's logout, or
// an RFC 7009 revocation in the oauth2 dialect.
func (c *client) logout(token, what string) (*answer, error) {
	return c.send(what, func(ctx context.Context) (*http.Request, error) {
		return c.mapping().NewLogoutRequest(ctx, c.base, token)
	})
}

// me calls the protected resource with an access token.
func (c *client) me(access, what string) (*answer, error) {
	return c.send(what, func(ctx context.Context) (*http.Request, error) {
		return c.mapping().NewMeRequest(ctx, c.base, access)
	})
}

// tokens reads the tokens of a successful login or refresh answer at the
// mapping's paths. The error says what is missing and what was received.
func (c *client) tokens(a *answer) (dialect.Tokens, error) {
	t, err := c.mapping().ReadTokens(a.Body)
	if err != nil {
		return t, fmt.Errorf("%w: %s", err, a)
	}
	return t, nil
}

// loginTokens reads the tokens of a login answer. An oauth2 backend with a
// JSON login of its own (not a password grant) may answer it in the JSON
// dialect's envelope, so when the mapping's (oauth2) paths find nothing
// there, contract.md §1's paths are tried.
func (c *client) loginTokens(a *answer) (dialect.Tokens, error) {
	t, err := c.tokens(a)
	if err == nil || !c.oauth2() || c.mapping().PasswordGrant() {
		return t, err
	}
	seed := dialect.Default()
	if t2, err2 := seed.ReadTokens(a.Body); err2 == nil {
		return t2, nil
	}
	return t, err
}

// failureProblem says what is wrong with the body of a refusal, or "" when
// it is the mapping's failure body: in the oauth2 dialect RFC 6749 §5.2's
// {"error": oauthCode}; elsewhere (and for an oauth2 backend's JSON login of
// its own, where oauthCode is "") JSON with the success flag false, or, for
// a mapping without a success flag, an error code.
func (c *client) failureProblem(a *answer, oauthCode string) string {
	m := c.mapping()
	if m.IsOAuth2() && oauthCode != "" {
		if code, _ := a.str(m.Errors.Code); code != oauthCode {
			return fmt.Sprintf(`want an RFC 6749 §5.2 error body {%q:%q}; %s`, m.Errors.Code, oauthCode, a)
		}
		return ""
	}
	if dialect.Has(m.SuccessFlag) {
		if !a.isJSON() {
			return fmt.Sprintf("want a JSON body (Content-Type application/json) with %s:false; %s", m.SuccessFlag, a)
		}
		if v, ok := a.lookup(m.SuccessFlag); !ok || v != false {
			return fmt.Sprintf("want %s:false in the body; %s", m.SuccessFlag, a)
		}
		return ""
	}
	if _, ok := a.str(m.Errors.Code); !a.isJSON() || !ok {
		return fmt.Sprintf("want a JSON body (Content-Type application/json) with an error code at %q; %s", m.Errors.Code, a)
	}
	return ""
}

// familyOf returns the fake backend's family of an issued token.
func (c *client) familyOf(token string) (control.Token, error) {
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
	return control.Token{}, fmt.Errorf("the fake backend's control API does not know the token %s", control.Fingerprint(token))
}

// randomToken returns a token-shaped random string no backend issued.
func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}
