package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/refreshspec/refreshspec/dialect"
)

// benchOAuth2 is the OAuth 2.0 server that row 3 sets beside the json
// dialect: a confidential client authenticating with HTTP Basic and asking
// for offline_access, as real ones do, so the row prices what the dialect
// really costs (forms, client authentication, a flat answer).
var benchOAuth2 = dialect.Mapping{Dialect: dialect.OAuth2, ClientID: "refreshbench", ClientSecret: "refreshbench-secret", Scope: "offline_access"}

// mappingFlag is the fake backend's flag that makes it speak m.
func mappingFlag(m dialect.Mapping) (string, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("mapping: %w", err)
	}
	return "--mapping-json=" + string(raw), nil
}

// dialectPeer is a fake backend process speaking m at url, called through
// package dialect's requests: both dialects of row 3 go through this same
// client code, so the load generator costs them alike.
type dialectPeer struct {
	m   dialect.Mapping
	url string
}

func newDialectPeer(m dialect.Mapping, url string) dialectPeer {
	m.ApplyDefaults()
	return dialectPeer{m: m, url: url}
}

// call sends req, expects a 200 and returns its body.
func (p dialectPeer) call(client *http.Client, req *http.Request, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	resp, err := expectStatus(client, req, http.StatusOK)
	if err != nil {
		return nil, fmt.Errorf("%s backend: %w", p.m.Dialect, err)
	}
	defer drain(resp)
	return io.ReadAll(resp.Body)
}

func (p dialectPeer) login(ctx context.Context, client *http.Client) (access, refresh string, err error) {
	req, err := p.m.NewLoginRequest(ctx, p.url, benchEmail, benchPassword)
	raw, err := p.call(client, req, err)
	if err != nil {
		return "", "", err
	}
	tok, err := p.m.ReadTokens(raw)
	if err != nil {
		return "", "", fmt.Errorf("%s backend login: %w", p.m.Dialect, err)
	}
	return tok.Access, tok.Refresh, nil
}

// refresh exchanges refresh for the next pair and returns the new refresh token.
func (p dialectPeer) refresh(ctx context.Context, client *http.Client, refresh string) (string, error) {
	req, err := p.m.NewRefreshRequest(ctx, p.url, refresh)
	raw, err := p.call(client, req, err)
	if err != nil {
		return "", err
	}
	tok, err := p.m.ReadTokens(raw)
	if err != nil {
		return "", fmt.Errorf("%s backend refresh: %w", p.m.Dialect, err)
	}
	return tok.Refresh, nil
}

func (p dialectPeer) me(ctx context.Context, client *http.Client, access string) error {
	req, err := p.m.NewMeRequest(ctx, p.url, access)
	_, err = p.call(client, req, err)
	return err
}
