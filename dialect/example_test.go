package dialect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/refreshspec/refreshspec/dialect"
)

// The oauth2 preset is an RFC 6749 server as most of them are set up: one
// token endpoint that grant_type splits into login and refresh, form
// bodies, flat answers, RFC 6749 §5.2 errors and RFC 7009 revocation.
func ExampleForDialect() {
	m := dialect.ForDialect(dialect.OAuth2)
	fmt.Println("login:  ", m.Login)
	fmt.Println("refresh:", m.Refresh)
	fmt.Println("logout: ", m.Logout)
	fmt.Println("token endpoint:", m.TokenEndpoint(), "password grant:", m.PasswordGrant())
	fmt.Println("grant fields:", m.LoginFields.Email, m.LoginFields.Password, m.Fields.RefreshToken)
	fmt.Println("tokens at:", m.Paths.AccessToken, m.Paths.RefreshToken)
	fmt.Println("errors at:", m.Errors.Code, m.Errors.Message)
	// Output:
	// login:   POST /oauth/token
	// refresh: POST /oauth/token
	// logout:  POST /oauth/revoke
	// token endpoint: true password grant: true
	// grant fields: username password refresh_token
	// tokens at: access_token refresh_token
	// errors at: error error_description
}

// A mapping names only what differs from its dialect's defaults; ParseJSON
// fills in the rest and checks the whole. Here a JSON backend that renamed its
// refresh route, the field it takes and where its answers put the tokens.
func ExampleParseJSON() {
	m, err := dialect.ParseJSON([]byte(`{
		"refresh": {"path": "/api/v2/token/refresh"},
		"fields": {"refresh_token": "refreshToken"},
		"paths": {"access_token": "data.tokens.access", "refresh_token": "data.tokens.refresh"}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Dialect, m.Login, "|", m.Refresh, m.Refresh.Body)
	fmt.Println("refresh field:", m.Fields.RefreshToken)
	fmt.Println("token type at:", m.Paths.TokenType)
	// Output:
	// json POST /auth/login | POST /api/v2/token/refresh json
	// refresh field: refreshToken
	// token type at: data.tokens.token_type
}

// A mapping that contradicts itself is refused with a *KeyError naming the
// key at fault, and Under names it as the profile writes it.
func ExampleKeyError() {
	_, err := dialect.ParseJSON([]byte(`{"dialect": "json", "scope": "offline_access"}`))
	var ke *dialect.KeyError
	if errors.As(err, &ke) {
		fmt.Println("key:", ke.Key)
	}
	fmt.Println(dialect.Under("backend", err))
	// Output:
	// key: scope
	// backend.scope: only the oauth2 dialect's password grant sends a scope; remove it or set dialect: oauth2
}

// The request builders speak a mapping the way a proxy does: here an oauth2
// refresh_token grant whose client authenticates in the body
// (client_secret_post). A login left out shares the refresh's token endpoint.
func ExampleMapping_NewRefreshRequest() {
	m, err := dialect.ParseJSON([]byte(`{
		"dialect": "oauth2",
		"refresh": {"path": "/realms/demo/protocol/openid-connect/token"},
		"client_id": "bff", "client_secret": "s3cret", "client_auth": "body"
	}`))
	if err != nil {
		log.Fatal(err)
	}
	req, err := m.NewRefreshRequest(context.Background(), "http://127.0.0.1:8080", "rt-1")
	if err != nil {
		log.Fatal(err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(req.Method, req.URL)
	fmt.Println(req.Header.Get("Content-Type"))
	fmt.Println(string(body))
	fmt.Println("login:", m.Login)
	// Output:
	// POST http://127.0.0.1:8080/realms/demo/protocol/openid-connect/token
	// application/x-www-form-urlencoded
	// grant_type=refresh_token&refresh_token=rt-1&client_id=bff&client_secret=s3cret
	// login: POST /realms/demo/protocol/openid-connect/token
}

// ReadTokens reads a token answer at the mapping's paths; when a value is
// missing, the error says which one and where it was looked for.
func ExampleMapping_ReadTokens() {
	oauth2 := dialect.ForDialect(dialect.OAuth2)
	t, err := oauth2.ReadTokens([]byte(`{"access_token": "at-2", "token_type": "Bearer",
		"expires_in": 300, "refresh_token": "rt-2", "scope": "offline_access"}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Access, t.Refresh, t.TokenType, t.ExpiresIn, t.Scope)

	seed := dialect.Default() // contract.md §1
	_, err = seed.ReadTokens([]byte(`{"success": true, "data": {"authorization": {"access_token": "at-2"}}}`))
	fmt.Println(err)
	// Output:
	// at-2 rt-2 Bearer 300 offline_access
	// dialect: no refresh token (a non-empty string) at "data.authorization.refresh_token"
}
