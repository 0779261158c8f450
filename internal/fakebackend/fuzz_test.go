package fakebackend_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// FuzzAPI sends any method, path, body and Authorization header to the API,
// in the json dialect and (as a form) in the oauth2 dialect with a client
// to authenticate, and checks what users depend on: never a 5xx, always a
// JSON answer. Seeds live in testdata/fuzz/FuzzAPI.
func FuzzAPI(f *testing.F) {
	s := fakebackend.MustNewServer(fakebackend.Config{})
	f.Cleanup(s.Close)
	api := s.API()
	o := fakebackend.MustNewServer(fakebackend.Config{Mapping: dialect.Mapping{
		Dialect: dialect.OAuth2, ClientID: "app", ClientSecret: "s3cret", Scope: "offline_access",
	}})
	f.Cleanup(o.Close)
	oauth2API := o.API()

	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/login", bytes.NewReader([]byte(`{"email":"alice@example.com","password":"correct horse"}`))))
	var login struct {
		Data struct {
			Authorization struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			} `json:"authorization"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &login); err != nil {
		f.Fatal(err)
	}
	access := login.Data.Authorization.AccessToken

	f.Add("POST", "/auth/login", []byte(`{"email":"alice@example.com","password":"correct horse"}`), "")
	f.Add("POST", "/auth/refresh", []byte(`{"refresh_token":"`+login.Data.Authorization.RefreshToken+`"}`), "")
	f.Add("POST", "/auth/refresh", []byte(`{"refresh_token":7}`), "")
	f.Add("POST", "/auth/logout", []byte(`{"refresh_token":null}`), "")
	f.Add("GET", "/api/user/me", []byte(nil), "Bearer "+access)
	f.Add("PATCH", "/api/user/profile", []byte(`{"firstName":"A","lastName":["x"]}`), "Bearer "+access)
	f.Add("PATCH", "/api/user/profile", []byte(`[]`), "Bearer "+access)
	f.Add("DELETE", "/auth//refresh/../x", []byte(`{`), "Basic x")
	f.Add("OPTIONS", "*", []byte{0xff}, "")
	f.Add("POST", "/oauth/token", []byte("grant_type=password&username=alice%40example.com&password=correct+horse&scope=offline_access"), "Basic YXBwOnMzY3JldA==")
	f.Add("POST", "/oauth/token", []byte("grant_type=refresh_token&refresh_token=x&refresh_token=y"), "Basic YXBwOnMzY3JldA==")
	f.Add("POST", "/oauth/revoke", []byte("token=x&token_type_hint=refresh_token&client_id=app&client_secret=s3cret"), "")

	f.Fuzz(func(t *testing.T, method, target string, body []byte, authorization string) {
		for _, server := range []struct {
			name        string
			api         http.Handler
			contentType string
		}{{"json", api, "application/json"}, {"oauth2", oauth2API, "application/x-www-form-urlencoded"}} {
			req, err := http.NewRequest(method, target, bytes.NewReader(body))
			if err != nil {
				t.Skip("not a request net/http would accept")
			}
			req.RequestURI = target
			req.RemoteAddr = "192.0.2.1:4321"
			req.Header.Set("Content-Type", server.contentType)
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
			}
			rec := httptest.NewRecorder()
			server.api.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s: %s %q: %d %s", server.name, method, target, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s: %s %q: %d, Content-Type %q, body %q", server.name, method, target, rec.Code, ct, rec.Body)
			}
		}
	})
}
