package proxysuite

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/profile"
)

func TestTokenInPage(t *testing.T) {
	page := []byte(`<html><head><meta name="csrf-token" content="m3t4"></head><body>
<form><input type="hidden" name="authenticity_token" value="r41ls"><input name="email"></form></body></html>`)
	if got := tokenInPage(page, profile.CSRFInput, "authenticity_token"); got != "r41ls" {
		t.Errorf("input token = %q", got)
	}
	if got := tokenInPage(page, profile.CSRFMeta, "csrf-token"); got != "m3t4" {
		t.Errorf("meta token = %q", got)
	}
	if got := tokenInPage(page, profile.CSRFInput, "_csrf"); got != "" {
		t.Errorf("missing token = %q", got)
	}
}

func TestWithCSRFKeepsTheBodysShape(t *testing.T) {
	field := profile.CSRF{Source: "input:_csrf", Send: "field:_csrf"}
	// A JSON body keeps its bytes, with the member added at its end.
	body, ct, _, err := withCSRF(field, "t0k", []byte(`{"lastName":"P","nickname":"x"}`), "application/json")
	if err != nil || string(body) != `{"lastName":"P","nickname":"x","_csrf":"t0k"}` || ct != "application/json" {
		t.Errorf("JSON: %s %s %v", body, ct, err)
	}
	var doc map[string]string
	if err := json.Unmarshal(body, &doc); err != nil || doc["_csrf"] != "t0k" {
		t.Errorf("the JSON body with the field does not parse: %v", err)
	}
	body, _, _, err = withCSRF(field, "t0k", []byte(`{}`), "application/json")
	if err != nil || string(body) != `{"_csrf":"t0k"}` {
		t.Errorf("empty JSON object: %s %v", body, err)
	}
	body, ct, _, err = withCSRF(field, "a b", []byte("email=a%40b&password=p"), "application/x-www-form-urlencoded")
	v, _ := url.ParseQuery(string(body))
	if err != nil || v.Get("_csrf") != "a b" || v.Get("email") != "a@b" || ct != "application/x-www-form-urlencoded" {
		t.Errorf("form: %s %v", body, err)
	}
	// A logout without a body gets a form holding the field alone.
	body, ct, _, err = withCSRF(field, "t0k", nil, "")
	if err != nil || string(body) != "_csrf=t0k" || ct != "application/x-www-form-urlencoded" {
		t.Errorf("no body: %s %s %v", body, ct, err)
	}
	if _, _, _, err := withCSRF(field, "t0k", []byte(`[1]`), "application/json"); err == nil || !strings.Contains(err.Error(), "proxy.csrf.send") {
		t.Errorf("a JSON array: %v, want an error naming proxy.csrf.send", err)
	}

	header := profile.CSRF{Source: "cookie:XSRF-TOKEN", Send: "header:x-xsrf-token"}
	body, _, h, err := withCSRF(header, "t0k", []byte(`{"a":1}`), "application/json")
	if err != nil || string(body) != `{"a":1}` || h.Get("X-Xsrf-Token") != "t0k" {
		t.Errorf("header: %s %v %v", body, h, err)
	}
}
