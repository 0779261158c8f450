package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
)

// The server's routes, laid out as an OAuth 2.0 server's are; the profile
// names each (internal/backendtest/oauthserver_test.go).
const (
	tokenPath    = "/oauth2/token"
	revokePath   = "/oauth2/revoke"
	userinfoPath = "/userinfo"
)

// offlineScope is the scope without which fosite issues no refresh token
// (its default RefreshTokenScopes); the client may ask for it.
const offlineScope = "offline_access"

// user is a resource owner of the server.
type user struct {
	email, password, givenName, familyName string
}

// options is what the flags set: the access tokens' lifetime, the one
// confidential client and the one resource owner.
type options struct {
	accessTTL              time.Duration
	clientID, clientSecret string
	user                   user
}

// server is fosite composed with the password and refresh_token grants,
// revocation and introspection, over its in-memory store.
type server struct {
	provider fosite.OAuth2Provider
	users    map[string]user
	// mu serialises the requests: fosite's MemoryStore (an example store)
	// revokes a refresh token by writing its map under another lock than
	// the one its readers take, which concurrent requests would race on.
	// The suite sends one request at a time anyway.
	mu sync.Mutex
}

// ownerStore is fosite's MemoryStore, whose Authenticate names the resource
// owner by a random subject; this one names them by their email, so that the
// protected resource can tell who the token's owner is.
type ownerStore struct {
	*storage.MemoryStore
}

func (s ownerStore) Authenticate(ctx context.Context, name, secret string) (string, error) {
	if _, err := s.MemoryStore.Authenticate(ctx, name, secret); err != nil {
		return "", err
	}
	return name, nil
}

// newServer composes the OAuth 2.0 server and returns its routes.
func newServer(ctx context.Context, o options) (http.Handler, error) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails
	config := &fosite.Config{
		AccessTokenLifespan:  o.accessTTL,
		RefreshTokenLifespan: 14 * 24 * time.Hour,
		GlobalSecret:         secret,
		// bcrypt's lowest cost keeps client authentication fast under -race.
		HashCost: 4,
	}
	hashed, err := config.GetSecretsHasher(ctx).Hash(ctx, []byte(o.clientSecret))
	if err != nil {
		return nil, err
	}
	mem := storage.NewMemoryStore()
	mem.Clients = map[string]fosite.Client{o.clientID: &fosite.DefaultClient{
		ID:         o.clientID,
		Secret:     hashed,
		GrantTypes: []string{"password", "refresh_token"},
		Scopes:     []string{offlineScope},
	}}
	mem.Users = map[string]storage.MemoryUserRelation{o.user.email: {Username: o.user.email, Password: o.user.password}}
	store := ownerStore{mem}
	s := &server{
		provider: compose.Compose(config, store, compose.NewOAuth2HMACStrategy(config),
			compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
			compose.OAuth2RefreshTokenGrantFactory,
			compose.OAuth2TokenRevocationFactory,
			compose.OAuth2TokenIntrospectionFactory,
		),
		users: map[string]user{o.user.email: o.user},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+tokenPath, s.token)
	mux.HandleFunc("POST "+revokePath, s.revoke)
	mux.HandleFunc("GET "+userinfoPath, s.userinfo)
	return s.serialised(mux), nil
}

func (s *server) serialised(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// token is the token endpoint, as fosite's examples write it: the password
// grant is given the scopes it asked for (the client may ask only for its
// own), a refresh keeps those of its grant.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne("password") {
		for _, scope := range ar.GetRequestedScopes() {
			ar.GrantScope(scope)
		}
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// revoke is RFC 7009 revocation: fosite revokes the whole grant of the
// token, its refresh and access tokens.
func (s *server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.provider.WriteRevocationResponse(ctx, w, s.provider.NewRevocationRequest(ctx, r))
}

// userinfo is the protected resource: the owner of a valid access token, as
// an OIDC userinfo endpoint answers it; RFC 6750's challenges otherwise.
func (s *server) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := fosite.AccessTokenFromRequest(r)
	if token == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "no access token"})
		return
	}
	_, ar, err := s.provider.IntrospectToken(ctx, token, fosite.AccessToken, &fosite.DefaultSession{})
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": fosite.ErrorToRFC6749Error(err).GetDescription()})
		return
	}
	u, ok := s.users[ar.GetSession().GetSubject()]
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the token's owner is gone"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"sub": u.email, "email": u.email, "given_name": u.givenName, "family_name": u.familyName,
		"name": strings.TrimSpace(u.givenName + " " + u.familyName),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
