package backendtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// oauth2Adapter puts an RFC 6749 token endpoint in front of the fake backend,
// so the B specs' oauth2 dialect can be proved against a backend whose token
// rules are known: POST /oauth/token takes the refresh_token grant (§6) and
// the password grant (§4.3), form-encoded, and translates them to the fake
// backend's JSON /auth/refresh and /auth/login; its answers come back with
// the tokens at the top level (§5.1) and the fake's refusals as
// {"error":"invalid_grant"} with 400 (§5.2). Every other path is passed
// through unchanged (logout, the protected resource).
type oauth2Adapter struct {
	backend      *url.URL
	clientID     string
	clientSecret string
	http         *http.Client
	pass         *httputil.ReverseProxy
}

func newOAuth2Adapter(backendURL, clientID, clientSecret string) (*oauth2Adapter, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return nil, fmt.Errorf("oauth2 adapter: backend URL: %w", err)
	}
	return &oauth2Adapter{
		backend:      u,
		clientID:     clientID,
		clientSecret: clientSecret,
		http:         &http.Client{Timeout: 10 * time.Second},
		pass:         httputil.NewSingleHostReverseProxy(u),
	}, nil
}

// ServeHTTP serves the token endpoint and passes everything else through.
func (a *oauth2Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oauth/token" {
		a.pass.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost {
		oauth2Error(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			oauth2Error(w, http.StatusRequestEntityTooLarge, "invalid_request", "body over 1 MiB")
			return
		}
		oauth2Error(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	if r.PostForm.Get("client_id") != a.clientID || r.PostForm.Get("client_secret") != a.clientSecret {
		oauth2Error(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	switch grant := r.PostForm.Get("grant_type"); grant {
	case "refresh_token":
		token := r.PostForm.Get("refresh_token")
		if token == "" {
			oauth2Error(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
			return
		}
		a.forward(w, r, "/auth/refresh", map[string]string{"refresh_token": token})
	case "password":
		user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
		if user == "" || pass == "" {
			oauth2Error(w, http.StatusBadRequest, "invalid_request", "username and password are required")
			return
		}
		a.forward(w, r, "/auth/login", map[string]string{"email": user, "password": pass})
	case "":
		oauth2Error(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		oauth2Error(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+grant+" is not supported")
	}
}

// forward calls the fake backend's JSON route and translates its answer.
func (a *oauth2Adapter) forward(w http.ResponseWriter, r *http.Request, path string, body map[string]string) {
	b, _ := json.Marshal(body) // a map of strings always encodes
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, a.backend.JoinPath(path).String(), bytes.NewReader(b))
	if err != nil {
		oauth2Error(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		oauth2Error(w, http.StatusBadGateway, "temporarily_unavailable", "backend: "+err.Error())
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	// Pass the caching headers through, so a backend that drops them is
	// still caught behind the adapter.
	for _, h := range []string{"Cache-Control", "Pragma"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		var env struct {
			Data struct {
				Authorization struct {
					AccessToken  string `json:"access_token"`
					RefreshToken string `json:"refresh_token"`
					TokenType    string `json:"token_type"`
					ExpiresIn    int    `json:"expires_in"`
				} `json:"authorization"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil || env.Data.Authorization.AccessToken == "" {
			oauth2Error(w, http.StatusBadGateway, "server_error", "the backend's answer has no tokens")
			return
		}
		writeJSON(w, http.StatusOK, env.Data.Authorization)
	case resp.StatusCode == http.StatusUnauthorized:
		oauth2Error(w, http.StatusBadRequest, "invalid_grant", "the grant is invalid, expired or revoked")
	case resp.StatusCode == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", resp.Header.Get("Retry-After"))
		oauth2Error(w, http.StatusTooManyRequests, "rate_limited", "too many attempts")
	case resp.StatusCode < 500:
		oauth2Error(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("the backend answered %d", resp.StatusCode))
	default:
		oauth2Error(w, resp.StatusCode, "server_error", fmt.Sprintf("the backend answered %d", resp.StatusCode))
	}
}

func oauth2Error(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
