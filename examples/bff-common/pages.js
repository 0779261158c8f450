// The HTML of contract.md §2: the login form (with a CSRF token when the
// app has one), the profile page with its #first-name, #reload and #logout,
// and an error page. The tokens never appear in any of them.

/**
 * loginPage is the login form; a csrfToken goes into a hidden input named
 * _csrf, as csrf-sync's README shows for forms.
 */
export function loginPage({ csrfToken = "", message = "" } = {}) {
  return layout("Log in", `
<h1>Log in</h1>
${message ? `<p role="alert">${escapeHTML(message)}</p>` : ""}
<form method="post" action="/login">
${csrfToken ? `  <input type="hidden" name="_csrf" value="${escapeHTML(csrfToken)}">\n` : ""}  <label>Email <input type="email" name="email" autocomplete="username" required></label>
  <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>`);
}

export function profilePage(user) {
  return layout("Profile", `
<h1>Hello, <span id="first-name">${escapeHTML(user.firstName ?? "")}</span></h1>
<p>${escapeHTML(user.email ?? "")}</p>
<button id="reload" type="button">Reload</button>
<form method="post" action="/logout"><button id="logout" type="submit">Log out</button></form>
<script>
document.getElementById("reload").addEventListener("click", async () => {
  const res = await fetch("/api/me", { headers: { Accept: "application/json" } });
  if (res.status === 401) {
    window.location.href = "/login";
    return;
  }
  if (res.ok) {
    const body = await res.json();
    document.getElementById("first-name").textContent = body.data.firstName;
  }
});
</script>`);
}

export function errorPage(status, message) {
  return layout("Error", `<h1>Error ${status}</h1><p>${escapeHTML(message)}</p><p><a href="/profile">Try again</a></p>`);
}

function layout(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body>${body}
</body></html>`;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
