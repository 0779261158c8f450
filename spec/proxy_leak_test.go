package spec

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
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

func pxZlib(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pxDeflate(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pxGzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLeakScanFindsSignedCompressedCookies: frameworks that sign but do not
// encrypt the session often glue a prefix to the encoding or compress the
// JSON first (Flask/itsdangerous, Django signed_cookies). The token is still
// readable by anyone holding the cookie, so the scan must find it.
func TestLeakScanFindsSignedCompressedCookies(t *testing.T) {
	session, _ := json.Marshal(map[string]any{"user": 7, "tokens": map[string]string{"refresh_token": pxTestToken}})
	b64 := base64.RawURLEncoding.EncodeToString
	cases := map[string]string{
		"v1 prefix + base64url(json)":        "v1" + b64(session),
		"one-char prefix + base64(json)":     "x" + base64.StdEncoding.EncodeToString(session),
		"three-char prefix + base64url":      "s3:" + b64(session),
		"glued three-char prefix":            "abc" + b64(session),
		"Flask: .base64url(zlib).ts.sig":     "." + b64(pxZlib(t, session)) + ".Zk3xYw.qM2k8F0n-Vb1xI5gQv3R9sT2uWc",
		"Django: .base64url(zlib):ts:sig":    "." + b64(pxZlib(t, session)) + ":1t2Yq5:Lk3Q9mB1vA7cZ0dXr6nP4sE8fG2hJ5kT",
		"raw deflate":                        b64(pxDeflate(t, session)) + ".sig0123456789",
		"gzip":                               base64.StdEncoding.EncodeToString(pxGzip(t, session)),
		"v1 prefix + base64url(zlib)":        "v1" + b64(pxZlib(t, session)),
		"base64(zlib(base64(json))) nesting": b64(pxZlib(t, []byte(base64.StdEncoding.EncodeToString(session)))),
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			if leaks := pxScanLeaks(pxTestTokens(), []pxRecorded{pxCookieResponse(value)}); len(leaks) == 0 {
				t.Errorf("the proxy scan missed the token in %q", value)
			}
			if !brHoldsToken(value, pxTestToken) {
				t.Errorf("the browser scan (W1.2) missed the token in %q", value)
			}
		})
	}
}

// TestLeakScanPassesEncryptedCompressedLookalikes: an encrypted securecookie,
// also behind a prefix, holds no readable token; neither scan may report one.
func TestLeakScanPassesEncryptedCompressedLookalikes(t *testing.T) {
	sealed, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")).
		Encode("session", map[string]string{"refresh_token": pxTestToken})
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"encrypted securecookie":       sealed,
		"v1 + encrypted securecookie":  "v1" + sealed,
		"zlib of an unrelated session": "." + base64.RawURLEncoding.EncodeToString(pxZlib(t, []byte(`{"user":7}`))) + ".ts.sig",
		"zlib of a token prefix only":  base64.RawURLEncoding.EncodeToString(pxZlib(t, []byte(pxTestToken[:20]))),
	} {
		if leaks := pxScanLeaks(pxTestTokens(), []pxRecorded{pxCookieResponse(value)}); len(leaks) != 0 {
			t.Errorf("%s was reported as a leak: %v", name, leaks)
		}
		if brHoldsToken(value, pxTestToken) {
			t.Errorf("%s: the browser scan reported a token", name)
		}
	}
}

// TestLeakScanBoundsDecompression: a decompression bomb is cut off, not
// inflated whole.
func TestLeakScanBoundsDecompression(t *testing.T) {
	bomb := pxZlib(t, make([]byte, 8<<20))
	for _, d := range pxDecompressions(bomb) {
		if len(d) > pxLeakMaxInflate {
			t.Fatalf("a decompression produced %d bytes, more than the %d cap", len(d), pxLeakMaxInflate)
		}
	}
}
