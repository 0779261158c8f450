// The routes of contract.md §2 on Express 5, with the session in an
// iron-session cookie opened by getIronSession, as iron-session's README
// shows for Express.

import express from "express";
import {
  backendClient,
  errorHandler,
  jsonBody,
  loginPage,
  parseJSON,
  refresher,
  sendAPI,
  sendProfilePage,
  str,
  unavailable,
} from "refreshspec-example-bff-common";
import { sessionStore } from "./session.js";

export function createApp(cfg, log = (entry) => console.log(JSON.stringify(entry))) {
  const call = backendClient(cfg);
  const { refresh, latest } = refresher(call, log);
  const sessions = sessionStore(cfg);
  const app = express();
  app.disable("x-powered-by");
  app.use((req, res, next) => {
    res.set("Cache-Control", "no-store");
    next();
  });

  /**
   * callWithRefresh sends one request to the backend with the session's
   * access token; on a 401 it refreshes (shared with every other request of
   * the session) and retries once with the same method, body and
   * Content-Type. Other statuses, 403/404/429/5xx included, are answers.
   * A rotation is written into the session object; the caller saves it.
   */
  async function callWithRefresh(session, request) {
    const first = await call({ ...request, accessToken: session.accessToken });
    if (!first.ok) {
      return unavailable(first.reason);
    }
    if (first.status !== 401) {
      return { kind: "answer", ...first };
    }
    const outcome = await refresh(session.refreshToken);
    if (outcome.kind === "invalid") {
      return { kind: "ended" };
    }
    if (outcome.kind === "unavailable") {
      // PLANTED BUG logout-on-any-error: a blip at the backend logs the user out.
      return cfg.plantedBug === "logout-on-any-error" ? { kind: "ended" } : outcome;
    }
    session.accessToken = outcome.tokens.accessToken;
    session.refreshToken = outcome.tokens.refreshToken;
    const retry = await call({ ...request, accessToken: session.accessToken });
    if (!retry.ok) {
      // The old refresh token is spent: the rotated tokens must still be saved.
      return { ...unavailable(retry.reason), rotated: true };
    }
    if (retry.status === 401) {
      // Refused with a fresh token too: no second refresh, no loop.
      return { kind: "ended" };
    }
    return { kind: "answer", ...retry, rotated: true };
  }

  /**
   * authed runs a backend request for the session of req and writes the
   * cookie the outcome needs on res: the rotated session, a reseal under the
   * newest secret, or a cleared cookie when the session is over.
   */
  async function authed(req, res, request) {
    const { session, hadCookie, reseal } = await sessions.open(req, res);
    if (!session.refreshToken) {
      if (hadCookie) {
        session.destroy();
      }
      return { kind: "ended" };
    }
    const result = await callWithRefresh(session, request);
    if (result.kind === "ended") {
      session.destroy();
    } else if (result.rotated && cfg.plantedBug === "unsaved-rotation") {
      // PLANTED BUG unsaved-rotation: the new tokens are set on the session
      // object, but session.save() is never called, so the cookie keeps the
      // spent refresh token.
    } else if (result.rotated || reseal) {
      await session.save();
    }
    return result;
  }

  app.get("/login", (req, res) => {
    res.type("html").send(loginPage());
  });

  app.post("/login", express.json(), express.urlencoded({ extended: false }), async (req, res) => {
    const form = !req.is("application/json");
    const { email, password } = req.body ?? {};
    if (typeof email !== "string" || typeof password !== "string" || email === "" || password === "") {
      return form
        ? res.status(400).type("html").send(loginPage({ message: "Enter your email and password." }))
        : res.status(400).json({ success: false, message: "email and password are required" });
    }
    const answer = await call({ method: "POST", path: "/auth/login", body: jsonBody({ email, password }) });
    if (answer.ok && (answer.status === 401 || answer.status === 400)) {
      return form
        ? res.status(401).type("html").send(loginPage({ message: "Wrong email or password." }))
        : res.status(401).json({ success: false, message: "wrong email or password" });
    }
    const doc = answer.ok && answer.status === 200 ? parseJSON(answer.body) : undefined;
    const accessToken = str(doc, "data.authorization.access_token");
    const refreshToken = str(doc, "data.authorization.refresh_token");
    if (!accessToken || !refreshToken) {
      const status = answer.ok ? 502 : answer.reason === "timeout" ? 504 : 502;
      return form
        ? res.status(status).type("html").send(loginPage({ message: "The sign-in service is unavailable, try again." }))
        : res.status(status).json({ success: false, message: "the backend is unavailable, try again" });
    }
    const { session } = await sessions.open(req, res);
    session.accessToken = accessToken;
    session.refreshToken = refreshToken;
    await session.save();
    if (form) {
      return res.redirect(303, "/profile");
    }
    res.json({ success: true, user: doc.data.user ?? null });
  });

  app.get("/profile", async (req, res) => {
    sendProfilePage(res, await authed(req, res, { method: "GET", path: "/api/user/me" }));
  });

  app.get("/api/me", async (req, res) => {
    sendAPI(res, await authed(req, res, { method: "GET", path: "/api/user/me" }));
  });

  // The body is kept as the bytes that came in, so that the retry after a
  // refresh sends exactly what the first attempt sent.
  app.patch("/api/profile", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
    sendAPI(res, await authed(req, res, { method: "PATCH", path: "/api/user/profile", body, contentType: req.get("content-type") }));
  });

  app.post("/logout", async (req, res) => {
    const { session } = await sessions.open(req, res);
    if (session.refreshToken) {
      // A request a moment earlier may have rotated the cookie's token: revoke the newest.
      const answer = await call({ method: "POST", path: "/auth/logout", body: jsonBody({ refresh_token: latest(session.refreshToken) }) });
      if (!answer.ok || answer.status !== 200) {
        log({ msg: "logout: the backend did not confirm the revocation", status: answer.status, reason: answer.reason });
      }
    }
    // An unreachable backend does not keep the user logged in here.
    session.destroy();
    if (req.accepts(["json", "html"]) === "html") {
      return res.redirect(303, "/login");
    }
    res.json({ success: true });
  });

  app.use(errorHandler(log));

  return app;
}
