package proxysuite

import (
	"net/http"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/profile"
)

// P1.3 is as loose as its text: a form login may answer 4xx, render its
// form again with 200 (Django) or redirect to the login page (Spring's
// /login?error); a JSON login answers 401. No looser: a form login that
// answers 200 without its form, or redirects elsewhere, and a JSON login
// that answers 200 {"success":false}, fail.
func TestBadLoginAnswer(t *testing.T) {
	form := profile.Default()
	form.Proxy.Login.Body = "form"
	form.Proxy.LoginFields.Password = "pass"
	page := func(body string) []byte { return []byte("<html><body>" + body + "</body></html>") }
	redirect := func(status int, to string) *response {
		return &response{Request: "POST /login", Status: status, Header: http.Header{"Location": {to}}}
	}
	for _, c := range []struct {
		name string
		prof *profile.Profile
		resp *response
		ok   bool
	}{
		{"JSON 401", profile.Default(), &response{Status: 401}, true},
		{"JSON 200 success:false", profile.Default(), &response{Status: 200, Body: []byte(`{"success":false}`)}, false},
		{"JSON 400", profile.Default(), &response{Status: 400}, false},
		{"form 401", form, &response{Status: 401}, true},
		{"form 422 (Rails)", form, &response{Status: 422}, true},
		{"form re-rendered with 200 (Django)", form, &response{Status: 200, Body: page(`<form><input name="username"><input name="pass" type="password"></form><p>Please enter a correct username and password.</p>`)}, true},
		{"form 200 without the form", form, &response{Status: 200, Body: page(`<p>Welcome</p>`)}, false},
		{"form redirects to the login page (Spring)", form, redirect(302, "/login?error"), true},
		{"form redirects to the profile", form, redirect(303, "/profile"), false},
		{"form 500", form, &response{Status: 500}, false},
	} {
		s := &suite{cfg: &Config{Profile: c.prof}}
		err := s.badLoginAnswer(c.resp)
		if (err == nil) != c.ok {
			t.Errorf("%s: badLoginAnswer = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// A message about a missing session cookie says which cookies came, with
// their attributes and not their values.
func TestDescribeCookies(t *testing.T) {
	got := describeCookies([]*http.Cookie{
		{Name: "connect.sid", Value: "s%3Aabcdefghijklmnopqrstuvwxyz.signature", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode},
		{Name: "XSRF-TOKEN", Value: "x", Path: "/"},
	})
	for _, want := range []string{"connect.sid=s%3Aabcdefgh… (40 bytes); Path=/; HttpOnly; SameSite=Lax", "XSRF-TOKEN=x; Path=/"} {
		if !strings.Contains(got, want) {
			t.Errorf("describeCookies = %q, want it to hold %q", got, want)
		}
	}
	if strings.Contains(got, "signature") {
		t.Errorf("describeCookies shows a whole cookie value: %q", got)
	}
	if got := describeCookies(nil); got != "no cookie" {
		t.Errorf("describeCookies(nil) = %q", got)
	}
}
