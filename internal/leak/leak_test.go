package leak

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

const testToken = "rt_Zm9vYmFyYmF6cXV4LXRoaXMtaXMtYS10b2tlbg"

func testTokens() map[string]control.Token {
	return map[string]control.Token{testToken: {Value: testToken, Kind: control.Refresh, Family: "f-1"}}
}

func cookieResponse(value string) Response {
	h := http.Header{}
	h.Add("Set-Cookie", (&http.Cookie{Name: "session", Value: value, Path: "/", HttpOnly: true}).String())
	return Response{Where: "POST /login → 200", Header: h, Body: []byte(`{"success":true}`)}
}

// TestLeakScanFindsHiddenTokens: a token must be found however a careless
// target hides it: as is, base64 in any of its four forms, percent-encoded,
// or inside a cookie that gorilla/securecookie only signs.
func TestLeakScanFindsHiddenTokens(t *testing.T) {
	session, _ := json.Marshal(map[string]string{"access_token": "x", "refresh_token": testToken})
	signedOnly, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), nil).Encode("session", map[string]string{"refresh_token": testToken})
	if err != nil {
		t.Fatal(err)
	}
	signedJSON := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), nil).SetSerializer(securecookie.JSONEncoder{})
	signedJSONValue, err := signedJSON.Encode("session", map[string]string{"refresh_token": testToken})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]Response{
		"body":                 {Where: "GET /api/me → 200", Body: []byte(`{"data":{"token":"` + testToken + `"}}`)},
		"header":               {Where: "GET /api/me → 200", Header: http.Header{"X-Access-Token": {testToken}}},
		"cookie raw":           cookieResponse(testToken),
		"cookie std base64":    cookieResponse(base64.StdEncoding.EncodeToString(session)),
		"cookie url base64":    cookieResponse(base64.URLEncoding.EncodeToString(session)),
		"cookie raw std":       cookieResponse(base64.RawStdEncoding.EncodeToString(session)),
		"cookie raw url":       cookieResponse(base64.RawURLEncoding.EncodeToString(session)),
		"cookie percent":       cookieResponse(strings.ReplaceAll(base64.StdEncoding.EncodeToString(session), "=", "%3D")),
		"securecookie gob":     cookieResponse(signedOnly),
		"securecookie json":    cookieResponse(signedJSONValue),
		"base64 inside a body": {Where: "GET /profile → 200", Body: []byte("<p data-s='" + base64.StdEncoding.EncodeToString(session) + "'>")},
	}
	for name, rec := range cases {
		t.Run(name, func(t *testing.T) {
			leaks := Scan(testTokens(), []Response{rec})
			if len(leaks) == 0 {
				t.Fatalf("the scan missed the token in %+v", rec)
			}
			if strings.Contains(leaks[0], testToken) {
				t.Errorf("the leak report shows the whole token: %s", leaks[0])
			}
			if !strings.Contains(leaks[0], "refresh token "+control.Fingerprint(testToken)+" (family f-1") {
				t.Errorf("the leak report does not name the token by its fingerprint and family: %s", leaks[0])
			}
		})
	}
}

// TestLeakScanPassesEncryptedCookies: a cookie that securecookie encrypts
// holds no readable token, and the scan must not cry wolf.
func TestLeakScanPassesEncryptedCookies(t *testing.T) {
	sealed, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")).
		Encode("session", map[string]string{"refresh_token": testToken})
	if err != nil {
		t.Fatal(err)
	}
	if leaks := Scan(testTokens(), []Response{cookieResponse(sealed)}); len(leaks) != 0 {
		t.Fatalf("an encrypted cookie was reported as a leak: %v", leaks)
	}
}

func TestBase64Runs(t *testing.T) {
	got := base64Runs("MTcwMDAwMDAwMHxhYmNkZWZnaGlqa2w=|c2lnbmF0dXJlLW1hYy12YWx1ZQ==;x=short")
	want := []string{"MTcwMDAwMDAwMHxhYmNkZWZnaGlqa2w=", "c2lnbmF0dXJlLW1hYy12YWx1ZQ=="}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("runs %q, want %q", got, want)
	}
}

func zlibOf(t *testing.T, b []byte) []byte {
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

func deflateOf(t *testing.T, b []byte) []byte {
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

func gzipOf(t *testing.T, b []byte) []byte {
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
	session, _ := json.Marshal(map[string]any{"user": 7, "tokens": map[string]string{"refresh_token": testToken}})
	b64 := base64.RawURLEncoding.EncodeToString
	cases := map[string]string{
		"v1 prefix + base64url(json)":        "v1" + b64(session),
		"one-char prefix + base64(json)":     "x" + base64.StdEncoding.EncodeToString(session),
		"three-char prefix + base64url":      "s3:" + b64(session),
		"glued three-char prefix":            "abc" + b64(session),
		"Flask: .base64url(zlib).ts.sig":     "." + b64(zlibOf(t, session)) + ".Zk3xYw.qM2k8F0n-Vb1xI5gQv3R9sT2uWc",
		"Django: .base64url(zlib):ts:sig":    "." + b64(zlibOf(t, session)) + ":1t2Yq5:Lk3Q9mB1vA7cZ0dXr6nP4sE8fG2hJ5kT",
		"raw deflate":                        b64(deflateOf(t, session)) + ".sig0123456789",
		"gzip":                               base64.StdEncoding.EncodeToString(gzipOf(t, session)),
		"v1 prefix + base64url(zlib)":        "v1" + b64(zlibOf(t, session)),
		"base64(zlib(base64(json))) nesting": b64(zlibOf(t, []byte(base64.StdEncoding.EncodeToString(session)))),
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			if leaks := Scan(testTokens(), []Response{cookieResponse(value)}); len(leaks) == 0 {
				t.Errorf("the proxy scan missed the token in %q", value)
			}
			if !Decode(value).Contain(testToken) {
				t.Errorf("the browser scan (W1.2) missed the token in %q", value)
			}
		})
	}
}

// TestLeakScanPassesEncryptedCompressedLookalikes: an encrypted securecookie,
// also behind a prefix, holds no readable token; neither scan may report one.
func TestLeakScanPassesEncryptedCompressedLookalikes(t *testing.T) {
	sealed, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")).
		Encode("session", map[string]string{"refresh_token": testToken})
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"encrypted securecookie":       sealed,
		"v1 + encrypted securecookie":  "v1" + sealed,
		"zlib of an unrelated session": "." + base64.RawURLEncoding.EncodeToString(zlibOf(t, []byte(`{"user":7}`))) + ".ts.sig",
		"zlib of a token prefix only":  base64.RawURLEncoding.EncodeToString(zlibOf(t, []byte(testToken[:20]))),
	} {
		if leaks := Scan(testTokens(), []Response{cookieResponse(value)}); len(leaks) != 0 {
			t.Errorf("%s was reported as a leak: %v", name, leaks)
		}
		if Decode(value).Contain(testToken) {
			t.Errorf("%s: the browser scan reported a token", name)
		}
	}
}

// TestLeakScanBoundsDecompression: a decompression bomb is cut off, not
// inflated whole.
func TestLeakScanBoundsDecompression(t *testing.T) {
	bomb := zlibOf(t, make([]byte, 8<<20))
	for _, d := range decompressions(bomb) {
		if len(d) > maxInflate {
			t.Fatalf("a decompression produced %d bytes, more than the %d cap", len(d), maxInflate)
		}
	}
}

// TestDecodeSeesThroughOneEncoding: what page scripts can read (W1.2) holds
// a token when the token is there after any one decoding step, and only then.
func TestDecodeSeesThroughOneEncoding(t *testing.T) {
	const tok = "tok_8f3a9c2e71d04b5f"
	for name, value := range map[string]string{
		"raw":              tok,
		"inside text":      "access=" + tok + "&x=1",
		"URL-escaped JSON": url.QueryEscape(`{"access_token":"` + tok + `"}`),
		"base64":           base64.StdEncoding.EncodeToString([]byte(`{"a":"` + tok + `"}`)),
		"base64url raw":    base64.RawURLEncoding.EncodeToString([]byte(`{"a":"` + tok + `"}`)),
		"quoted base64":    `"` + base64.StdEncoding.EncodeToString([]byte(tok)) + `"`,
	} {
		if !Decode(value).Contain(tok) {
			t.Errorf("%s: %q holds the token, but Decode(...).Contain says no", name, value)
		}
	}
	for name, value := range map[string]string{
		"other token":   "tok_0000000000000000",
		"encrypted":     "MTcwMDAwMDAwMHxEdi1CQkFFQ180SUFBUkFCRUFBQUJmXzQ",
		"empty":         "",
		"prefix only":   tok[:10],
		"base64 prefix": base64.StdEncoding.EncodeToString([]byte(tok[:10])),
	} {
		if Decode(value).Contain(tok) {
			t.Errorf("%s: %q does not hold the token, but Decode(...).Contain says yes", name, value)
		}
	}
	if Decode("anything").Contain("") {
		t.Error("an empty token must never match")
	}
}

// TestLeakScanJoinsChunks: a session split over chunk cookies (NAME.0,
// NAME.1; NAME_0, ...) hides a token cut at a chunk's end from a scan of
// each cookie alone; the chunks are scanned joined as well.
func TestLeakScanJoinsChunks(t *testing.T) {
	value := base64.RawURLEncoding.EncodeToString([]byte(`{"refresh":"` + testToken + `"}`))
	for _, sep := range []string{".", "_"} {
		h := http.Header{}
		cut := len(value) / 2
		h.Add("Set-Cookie", (&http.Cookie{Name: "__Secure-s" + sep + "1", Value: value[cut:], Path: "/"}).String())
		h.Add("Set-Cookie", (&http.Cookie{Name: "__Secure-s" + sep + "0", Value: value[:cut], Path: "/"}).String())
		r := Response{Where: "POST /login → 200", Header: h}
		if leaks := Scan(testTokens(), []Response{r}); len(leaks) == 0 {
			t.Errorf("chunks NAME%sN: the token split over two chunks was not found", sep)
		}
	}
}
