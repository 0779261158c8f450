// GET /login: a plain form that posts to POST /login (rewritten to the login
// route handler). It reads no session, so no cookie, however stale or broken,
// can make it redirect (contract.md §2: never a redirect to itself).

export default function LoginPage() {
  return (
    <main>
      <h1>Log in</h1>
      <form method="post" action="/login">
        <p>
          <label>
            Email <input type="email" name="email" autoComplete="username" required />
          </label>
        </p>
        <p>
          <label>
            Password <input type="password" name="password" autoComplete="current-password" required />
          </label>
        </p>
        <button type="submit">Log in</button>
      </form>
    </main>
  );
}
