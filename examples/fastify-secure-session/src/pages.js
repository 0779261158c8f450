'use strict'

// The app's three pages, as plain template functions: the login form, the
// profile page with its #first-name, #reload and #logout, and an error page.
// Each form carries the @fastify/csrf-protection token in a hidden `_csrf`.

function escapeHTML (s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

function layout (title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHTML(title)}</title></head>
<body>
${body}
</body>
</html>
`
}

function loginPage ({ csrfToken, error }) {
  return layout('Sign in', `<h1>Sign in</h1>
${error ? `<p role="alert">${escapeHTML(error)}</p>` : ''}
<form method="post" action="/login">
  <input type="hidden" name="_csrf" value="${escapeHTML(csrfToken)}">
  <label>Email <input name="email" type="email" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`)
}

// The #reload button fetches /api/me from the browser: a 401 means the
// session could not be recovered, and the browser goes to /login.
function profilePage ({ user, csrfToken }) {
  return layout('Profile', `<h1>Hello, <span id="first-name">${escapeHTML(user.firstName)}</span></h1>
<p>${escapeHTML(user.email)}</p>
<p id="status" role="status"></p>
<button id="reload" type="button">Reload</button>
<form method="post" action="/logout">
  <input type="hidden" name="_csrf" value="${escapeHTML(csrfToken)}">
  <button id="logout" type="submit">Log out</button>
</form>
<script>
document.getElementById('reload').addEventListener('click', async () => {
  const status = document.getElementById('status')
  const res = await fetch('/api/me', { headers: { accept: 'application/json' } })
  if (res.status === 401) {
    window.location.assign('/login')
    return
  }
  if (!res.ok) {
    status.textContent = 'Could not reload (' + res.status + '), try again later.'
    return
  }
  const body = await res.json()
  document.getElementById('first-name').textContent = body.data.firstName
  status.textContent = ''
})
</script>`)
}

function errorPage (status, message) {
  return layout(`Error ${status}`, `<h1>Error ${status}</h1>
<p>${escapeHTML(message)}</p>
<p><a href="/profile">Try again</a></p>`)
}

module.exports = { loginPage, profilePage, errorPage }
