package spec

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

const pxTestToken = "rt_Zm9vYmFyYmF6cXV4LXRoaXMtaXMtYS10b2tlbg"

func pxTestTokens() map[string]control.Token {
	return map[string]control.Token{pxTestToken: {Value: pxTestToken, Kind: control.Refresh, Family: "f-1"}}
}

func pxCookieResponse(value string) pxRecorded {
	h := http.Header{}
	h.Add("Set-Cookie", (&http.Cookie{Name: "session", Value: value, Path: "/", HttpOnly: true}).String())
	return pxRecorded{Where: "POST /login → 200", Header: h, Body: []byte(`{"success":true}`)}
}

// TestLeakScanFindsHiddenTokens: a token must be found however a careless
// target hides it: as is, base64 in any of its four forms, percent-encoded,
// or inside a cookie that gorilla/securecookie only signs.
func TestLeakScanFindsHiddenTokens(t *testing.T) {
	session, _ := json.Marshal(map[string]string{"access_token": "x", "refresh_token": pxTestToken})
	signedOnly, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), nil).Encode("session", map[string]string{"refresh_token": pxTestToken})
	if err != nil {
		t.Fatal(err)
	}
	signedJSON := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), nil).SetSerializer(securecookie.JSONEncoder{})
	signedJSONValue, err := signedJSON.Encode("session", map[string]string{"refresh_token": pxTestToken})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]pxRecorded{
		"body":                 {Where: "GET /api/me → 200", Body: []byte(`{"data":{"token":"` + pxTestToken + `"}}`)},
		"header":               {Where: "GET /api/me → 200", Header: http.Header{"X-Access-Token": {pxTestToken}}},
		"cookie raw":           pxCookieResponse(pxTestToken),
		"cookie std base64":    pxCookieResponse(base64.StdEncoding.EncodeToString(session)),
		"cookie url base64":    pxCookieResponse(base64.URLEncoding.EncodeToString(session)),
		"cookie raw std":       pxCookieResponse(base64.RawStdEncoding.EncodeToString(session)),
		"cookie raw url":       pxCookieResponse(base64.RawURLEncoding.EncodeToString(session)),
		"cookie percent":       pxCookieResponse(strings.ReplaceAll(base64.StdEncoding.EncodeToString(session), "=", "%3D")),
		"securecookie gob":     pxCookieResponse(signedOnly),
		"securecookie json":    pxCookieResponse(signedJSONValue),
		"base64 inside a body": {Where: "GET /profile → 200", Body: []byte("<p data-s='" + base64.StdEncoding.EncodeToString(session) + "'>")},
	}
	for name, rec := range cases {
		t.Run(name, func(t *testing.T) {
			leaks := pxScanLeaks(pxTestTokens(), []pxRecorded{rec})
			if len(leaks) == 0 {
				t.Fatalf("the scan missed the token in %+v", rec)
			}
			if strings.Contains(leaks[0], pxTestToken) {
				t.Errorf("the leak report shows the whole token: %s", leaks[0])
			}
		})
	}
}

// TestLeakScanPassesEncryptedCookies: a cookie that securecookie encrypts
// holds no readable token, and the scan must not cry wolf.
func TestLeakScanPassesEncryptedCookies(t *testing.T) {
	sealed, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")).
		Encode("session", map[string]string{"refresh_token": pxTestToken})
	if err != nil {
		t.Fatal(err)
	}
	if leaks := pxScanLeaks(pxTestTokens(), []pxRecorded{pxCookieResponse(sealed)}); len(leaks) != 0 {
		t.Fatalf("an encrypted cookie was reported as a leak: %v", leaks)
	}
}

func TestBase64Runs(t *testing.T) {
	got := pxBase64Runs("MTcwMDAwMDAwMHxhYmNkZWZnaGlqa2w=|c2lnbmF0dXJlLW1hYy12YWx1ZQ==;x=short")
	want := []string{"MTcwMDAwMDAwMHxhYmNkZWZnaGlqa2w=", "c2lnbmF0dXJlLW1hYy12YWx1ZQ=="}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("runs %q, want %q", got, want)
	}
}

func TestSpecIDOfName(t *testing.T) {
	if got := pxSpecID("P8.1 one byte flipped"); got != "P8.1" {
		t.Fatalf("pxSpecID = %q", got)
	}
}
