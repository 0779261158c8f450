package backendsuite

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// The building blocks of the B specs that decide from headers, checked
// against the header shapes real servers send.

func TestBackendBearerChallenge(t *testing.T) {
	for _, tc := range []struct {
		header    string
		wantOK    bool
		wantError string
	}{
		{`Bearer realm="api", error="invalid_token", error_description="The access token expired"`, true, "invalid_token"},
		{`bearer error=invalid_token`, true, "invalid_token"},
		{`Bearer error="invalid_token",error_description="a, b"`, true, "invalid_token"},
		{`Bearer realm="api"`, true, ""},
		{`Bearer`, true, ""},
		{`Basic realm="x"`, false, ""},
		{``, false, ""},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("WWW-Authenticate", tc.header)
		}
		params, ok := bearerChallenge(h)
		if ok != tc.wantOK || params["error"] != tc.wantError {
			t.Errorf("%q: got ok=%v error=%q, want ok=%v error=%q", tc.header, ok, params["error"], tc.wantOK, tc.wantError)
		}
	}
}

func TestBackendRetryAfterAndNoStore(t *testing.T) {
	for v, want := range map[string]bool{"60": true, "0": true, "-1": false, "Wed, 21 Oct 2015 07:28:00 GMT": true, "soon": false, "": false} {
		if got := validRetryAfter(v); got != want {
			t.Errorf("Retry-After %q: got %v, want %v", v, got, want)
		}
	}
	for v, want := range map[string]bool{"no-store": true, "no-cache, No-Store": true, "no-cache": false, "private, max-age=0": false, "no-storex": false} {
		if got := hasNoStore(http.Header{"Cache-Control": {v}}); got != want {
			t.Errorf("Cache-Control %q: got %v, want %v", v, got, want)
		}
	}
}

func newTestClient(url string, timeout time.Duration) *client {
	return &client{base: url, prof: profile.Default(), http: &http.Client{Timeout: timeout},
		timeout: timeout, suite: &suite{cfg: &Config{}}}
}

// A backend that never answers fails the request at hand within the
// request timeout, with an error that says so.
func TestBackendClientHang(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handler
	c := newTestClient(srv.URL, 200*time.Millisecond)
	start := time.Now()
	_, err := c.refresh("x", "refresh against a hanging backend")
	if err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("want a no-answer error, got %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the request took %s despite a 200ms timeout", took)
	}
	if n := c.suite.sent.Load(); n != 1 {
		t.Errorf("counted %d requests, want 1", n)
	}
}

// An HTML page where tokens are expected is reported with its status,
// content type and the start of its body, not a crash.
func TestBackendTokensFromHTML(t *testing.T) {
	page := "<html><body>" + strings.Repeat("Bad Gateway ", 100) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	defer srv.Close()
	c := newTestClient(srv.URL, time.Second)
	a, err := c.login("a@example.com", "pw", "login against an HTML page")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.loginTokens(a)
	if err == nil {
		t.Fatal("want an error for an HTML answer")
	}
	for _, want := range []string{"answered 200", `"text/html; charset=utf-8"`, "<html><body>Bad Gateway", "bytes in all)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not contain %q: %v", want, err)
		}
	}
	if len(err.Error()) > 600 {
		t.Errorf("the error quotes too much of the body (%d chars): %v", len(err.Error()), err)
	}
}

// The oauth2 dialect sends RFC 6749 §6's form, with the client's
// authentication the way the profile says, and reads the tokens at the top
// level.
func TestBackendOAuth2Refresh(t *testing.T) {
	for _, tc := range []struct{ clientAuth, wantForm, wantBasic string }{
		{"basic", "grant_type=refresh_token&refresh_token=r0", "app:s"},
		{"body", "client_id=app&client_secret=s&grant_type=refresh_token&refresh_token=r0", ""},
	} {
		var form, basic string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/oauth/token" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				http.Error(w, "wrong request", http.StatusBadRequest)
				return
			}
			_ = r.ParseForm()
			form = r.PostForm.Encode()
			if id, secret, ok := r.BasicAuth(); ok {
				basic = id + ":" + secret
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"a1","refresh_token":"r1","token_type":"Bearer","expires_in":900}`))
		}))
		prof, err := profile.Parse([]byte("backend: {dialect: oauth2, client_id: app, client_secret: s, client_auth: " + tc.clientAuth + "}"))
		if err != nil {
			t.Fatal(err)
		}
		c := newTestClient(srv.URL, time.Second)
		c.prof = prof
		a, err := c.refresh("r0", "oauth2 refresh")
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.tokens(a)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Access != "a1" || tok.Refresh != "r1" || tok.ExpiresIn != 900 {
			t.Errorf("%s: got %+v", tc.clientAuth, tok)
		}
		if form != tc.wantForm || basic != tc.wantBasic {
			t.Errorf("%s: sent form %q and Basic %q, want %q and %q", tc.clientAuth, form, basic, tc.wantForm, tc.wantBasic)
		}
	}
}

// B2.6's cases follow the refresh endpoint's body kind; only a body of
// another type than the endpoint takes may be refused with 415, and every
// form carries the client's credentials where the mapping puts them in it.
func TestBackendMalformedRefreshes(t *testing.T) {
	for _, tc := range []struct {
		yaml         string
		foreignTypes []string
		inForm       string
	}{
		{"backend: {}", nil, ""},
		{"backend: {dialect: oauth2, client_id: app, client_secret: s}", []string{"a JSON body instead of a form"}, ""},
		{"backend: {dialect: oauth2, client_id: app, client_secret: s, client_auth: body}", []string{"a JSON body instead of a form"}, "client_id=app&client_secret=s"},
	} {
		prof, err := profile.Parse([]byte(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		c := newTestClient("http://127.0.0.1:1", time.Second)
		c.prof = prof
		var foreign []string
		for _, m := range c.malformedRefreshes() {
			if m.foreignType {
				foreign = append(foreign, m.what)
			}
			form := m.contentType == "application/x-www-form-urlencoded"
			if form && !m.noClient && tc.inForm != "" && !strings.HasSuffix(m.body, "&"+tc.inForm) {
				t.Errorf("%s: %q does not carry the client's %s", tc.yaml, m.what, tc.inForm)
			}
			if form && tc.inForm == "" && strings.Contains(m.body, "client_secret") {
				t.Errorf("%s: %q puts the secret in the form", tc.yaml, m.what)
			}
		}
		if strings.Join(foreign, ",") != strings.Join(tc.foreignTypes, ",") {
			t.Errorf("%s: foreign body types %v, want %v", tc.yaml, foreign, tc.foreignTypes)
		}
	}
}

// An answer in a failure message shows its tokens as fingerprints, whatever
// the dialect names them, and keeps what is not a secret.
func TestAnswerStringHidesTokens(t *testing.T) {
	access, refresh := "eyJhbGciOiJSUzI1NiJ9.access-0123456789", "refresh-0123456789abcdefghij"
	body := []byte(`{"access_token":"` + access + `","refreshToken":"` + refresh + `","token_type":"Bearer","data":{"authorization":{"refresh_token":"` + refresh + `"}}}`)
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	a := &answer{Method: "POST", Path: "/oauth/token", Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: body, Doc: doc}
	out := a.String()
	for _, tok := range []string{access, refresh} {
		if strings.Contains(out, tok) {
			t.Errorf("the answer prints the whole token %q: %s", tok, out)
		}
	}
	for _, want := range []string{control.Fingerprint(access), control.Fingerprint(refresh), "Bearer", "answered 200"} {
		if !strings.Contains(out, want) {
			t.Errorf("the answer prints %s, which lacks %q", out, want)
		}
	}
}
