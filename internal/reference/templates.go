package reference

import (
	"bytes"
	"html/template"
	"net/http"
)

const baseCSS = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1rem;padding:.4rem 1rem}.error{color:#a00}.muted{color:#666;font-size:.9rem}`

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><style>{{.CSS}}</style></head><body>{{end}}

{{define "login"}}{{template "head" .}}
<h1>Sign in</h1>
{{if .Error}}<p class="error" id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login" id="login-form">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" value="{{.Email}}" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="submit">Sign in</button>
</form>
</body></html>{{end}}

{{define "profile"}}{{template "head" .}}
<h1>Hello, <span id="first-name">{{.FirstName}}</span></h1>
<p class="muted" id="status"></p>
<button type="button" id="reload">Reload</button>
<form method="post" action="/logout" id="logout-form"><button type="submit" id="logout">Log out</button></form>
<script>
var path = {{.FirstNamePath}};
document.getElementById('reload').addEventListener('click', async function () {
  var status = document.getElementById('status');
  status.textContent = '';
  var res;
  try {
    res = await fetch('/api/me', {credentials: 'same-origin', headers: {'Accept': 'application/json'}});
  } catch (e) {
    status.textContent = 'The server cannot be reached.';
    return;
  }
  if (res.status === 401) {
    window.location.href = '/login';
    return;
  }
  if (!res.ok) {
    status.textContent = 'Could not reload (' + res.status + ').';
    return;
  }
  var body = await res.json();
  // Where the backend's me answer keeps the first name (the mapping's
  // paths.me_first_name), since /api/me passes that answer on as it is.
  var name = (path || []).reduce(function (o, k) { return o == null ? o : o[k]; }, path ? body : null);
  if (typeof name === 'string') document.getElementById('first-name').textContent = name;
});
</script>
</body></html>{{end}}

{{define "error"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p id="error">{{.Error}}</p>
<p><a href="/profile">Try again</a> · <a href="/login">Sign in</a></p>
</body></html>{{end}}
`))

type pageData struct {
	Title     string
	CSS       template.CSS
	Error     string
	Email     string
	FirstName string
	// FirstNamePath is the keys of the first name in the me answer.
	FirstNamePath []string
}

func renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	d.CSS = template.CSS(baseCSS)
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func renderError(w http.ResponseWriter, status int, title, message string) {
	renderPage(w, status, "error", pageData{Title: title, Error: message})
}
