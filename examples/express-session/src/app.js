// The routes of contract.md §2 on Express 5 with express-session: the
// backend's tokens live in the server's session store, and the cookie holds
// only the signed session id. Written the way express-session's README
// writes it: regenerate on login, save before redirecting, destroy on logout.

import express from "express";
import session from "express-session";
import { csrfSync } from "csrf-sync";
import {
  backendClient,
  errorHandler,
  jsonBody,
  loginPage,
  parseJSON,
  refreshOnce,
  refresher,
  sendAPI,
  sendProfilePage,
  str,
  unavailable,
} from "refreshspec-example-bff-common";

/** The cookie, and the session behind it, last as long as the refresh token (7 days). */
const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export function createApp(cfg, log = (entry) => console.log(JSON.stringify(entry))) {
  const call = backendClient(cfg);
  const shared = refresher(call, log);
  const { latest } = shared;
  // PLANTED BUG unshared-refresh: every request refreshes on its own,
  // trusting the session store to serialise a session's requests, which
  // express-session's stores do not do.
  const refresh = cfg.plantedBug === "unshared-refresh" ? (rt) => refreshOnce(call, log, rt) : shared.refresh;
  const cookie = { httpOnly: true, secure: cfg.cookieSecure, sameSite: "lax", path: "/", maxAge: SESSION_TTL_MS };
  const cookieName = "connect.sid";

  const app = express();
  app.disable("x-powered-by");
  // Behind one TLS-terminating proxy: req.secure follows X-Forwarded-Proto,
  // so express-session sets its Secure cookie on requests that were https
  // at the edge.
  app.set("trust proxy", 1);
  app.use((req, res, next) => {
    res.set("Cache-Control", "no-store");
    next();
  });
  app.use(session({
    name: cookieName,
    // An array rotates: the first secret signs, every one verifies.
    secret: cfg.secrets,
    resave: false,
    saveUninitialized: false,
    // Re-sent on every response: a sliding expiry, and a cookie signed under
    // a retiring secret is signed again under the first one.
    rolling: true,
    cookie,
    // The MemoryStore: see README.md for why, and what it costs.
    store: new session.MemoryStore(),
  }));

  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    // The login form sends the hidden input; a script may send the header.
    getTokenFromRequest: (req) => req.body?._csrf ?? req.headers["x-csrf-token"],
  });

  /** endSession destroys the stored session and tells the browser to drop its cookie. */
  async function endSession(req, res) {
    await new Promise((resolve) => req.session.destroy(() => resolve()));
    const { maxAge, ...attrs } = cookie;
    res.clearCookie(cookieName, attrs);
  }

  /**
   * callWithRefresh sends one request to the backend with the session's
   * access token; on a 401 it refreshes (shared with every other request of
   * the session) and retries once with the same method, body and
   * Content-Type. Other statuses, 403/404/429/5xx included, are answers. A
   * rotation is saved to the store before the caller answers, and the
   * session ends on invalid_grant.
   */
  async function callWithRefresh(req, res, request) {
    const tokens = req.session.tokens;
    if (!tokens) {
      return { kind: "ended" };
    }
    const first = await call({ ...request, accessToken: tokens.accessToken });
    if (!first.ok) {
      return unavailable(first.reason);
    }
    if (first.status !== 401) {
      return { kind: "answer", ...first };
    }
    const outcome = await refresh(tokens.refreshToken);
    if (outcome.kind === "invalid") {
      await endSession(req, res);
      return { kind: "ended" };
    }
    if (outcome.kind === "unavailable") {
      return outcome;
    }
    req.session.tokens = outcome.tokens;
    await new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    const retry = await call({ ...request, accessToken: outcome.tokens.accessToken });
    if (!retry.ok) {
      return unavailable(retry.reason);
    }
    if (retry.status === 401) {
      // Refused with a fresh token too: no second refresh, no loop.
      await endSession(req, res);
      return { kind: "ended" };
    }
    return { kind: "answer", ...retry };
  }

  /** requireLogin answers an anonymous request before it reaches a route. */
  function requireLogin(kind) {
    return async (req, res, next) => {
      if (req.session.tokens) {
        return next();
      }
      if (req.get("cookie")?.includes(`${cookieName}=`)) {
        // An unknown, expired or forged session id: drop the cookie.
        await endSession(req, res);
      }
      return kind === "page" ? res.redirect(303, "/login") : res.status(401).json({ success: false });
    };
  }

  app.get("/login", (req, res) => {
    res.type("html").send(loginPage({ csrfToken: generateToken(req) }));
  });

  app.post("/login", express.urlencoded({ extended: false }), express.json(), csrfSynchronisedProtection, async (req, res) => {
    const form = !req.is("application/json");
    const fail = (status, message) => {
      if (!form) {
        return res.status(status).json({ success: false, message });
      }
      res.status(status).type("html").send(loginPage({ csrfToken: generateToken(req), message }));
    };
    const { email, password } = req.body ?? {};
    if (typeof email !== "string" || typeof password !== "string" || email === "" || password === "") {
      return fail(400, "Enter your email and password.");
    }
    const answer = await call({ method: "POST", path: "/auth/login", body: jsonBody({ email, password }) });
    if (answer.ok && (answer.status === 401 || answer.status === 400)) {
      return fail(401, "Wrong email or password.");
    }
    const doc = answer.ok && answer.status === 200 ? parseJSON(answer.body) : undefined;
    const accessToken = str(doc, "data.authorization.access_token");
    const refreshToken = str(doc, "data.authorization.refresh_token");
    if (!accessToken || !refreshToken) {
      return fail(answer.ok ? 502 : answer.reason === "timeout" ? 504 : 502, "The sign-in service is unavailable, try again.");
    }
    // A new session id at login guards against session fixation.
    await new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.tokens = { accessToken, refreshToken };
    await new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    if (form) {
      return res.redirect(303, "/profile");
    }
    res.json({ success: true, user: doc.data.user ?? null });
  });

  app.get("/profile", requireLogin("page"), async (req, res) => {
    sendProfilePage(res, await callWithRefresh(req, res, { method: "GET", path: "/api/user/me" }));
  });

  app.get("/api/me", requireLogin("api"), async (req, res) => {
    sendAPI(res, await callWithRefresh(req, res, { method: "GET", path: "/api/user/me" }));
  });

  // The body is kept as the bytes that came in, so that the retry after a
  // refresh sends exactly what the first attempt sent.
  app.patch("/api/profile", requireLogin("api"), express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
    sendAPI(res, await callWithRefresh(req, res, { method: "PATCH", path: "/api/user/profile", body, contentType: req.get("content-type") }));
  });

  app.post("/logout", async (req, res) => {
    const tokens = req.session.tokens;
    if (tokens && cfg.plantedBug !== "logout-skips-backend") {
      // A request a moment earlier may have rotated the token: revoke the newest.
      const answer = await call({ method: "POST", path: "/auth/logout", body: jsonBody({ refresh_token: latest(tokens.refreshToken) }) });
      if (!answer.ok || answer.status !== 200) {
        log({ msg: "logout: the backend did not confirm the revocation", status: answer.status, reason: answer.reason });
      }
    }
    // PLANTED BUG logout-skips-backend: the session is destroyed here only,
    // and the refresh token it held stays valid at the backend.
    // An unreachable backend does not keep the user logged in here.
    await endSession(req, res);
    if (req.accepts(["json", "html"]) === "html") {
      return res.redirect(303, "/login");
    }
    res.json({ success: true });
  });

  app.use(errorHandler(log));

  return app;
}
