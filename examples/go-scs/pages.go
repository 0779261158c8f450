package main

import (
	"bytes"
	"html/template"
	"net/http"
)

// The pages carry the elements of contract.md §2: the login form, and on
// the profile page #first-name, #reload (fetches /api/me from the browser,
// and goes to /login on a 401) and #logout. The forms carry gorilla/csrf's
// hidden input, gorilla.csrf.Token.
var pages = template.Must(template.New("pages").Parse(`
{{define "login"}}<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in</title></head>
<body>
<h1>Log in</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
{{.CSRFField}}
<label>Email <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>
</body>
</html>
{{end}}

{{define "profile"}}<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Profile</title></head>
<body>
<h1>Profile</h1>
<p>Hello, <span id="first-name">{{.FirstName}}</span>.</p>
<button id="reload" type="button">Reload</button>
<p id="status" role="status"></p>
<form method="post" action="/logout">
{{.CSRFField}}
<button id="logout" type="submit">Log out</button>
</form>
<script>
document.getElementById("reload").addEventListener("click", async () => {
  const status = document.getElementById("status");
  const res = await fetch("/api/me", { headers: { Accept: "application/json" } });
  if (res.status === 401) {
    window.location.assign("/login");
    return;
  }
  if (!res.ok) {
    status.textContent = "Could not reload (" + res.status + ").";
    return;
  }
  const body = await res.json();
  document.getElementById("first-name").textContent = body.data.firstName;
  status.textContent = "";
});
</script>
</body>
</html>
{{end}}

{{define "error"}}<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Status}} {{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
{{end}}
`))

type loginView struct {
	CSRFField template.HTML
	Error     string
}

type profileView struct {
	FirstName string
	CSRFField template.HTML
}

type errorView struct {
	Status  int
	Title   string
	Message string
}

// render executes a page into a buffer first, so that a template error is
// a 500 and not half a page.
func (a *app) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		a.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (a *app) renderError(w http.ResponseWriter, status int, message string) {
	a.render(w, status, "error", errorView{Status: status, Title: http.StatusText(status), Message: message})
}
