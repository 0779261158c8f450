// The routes of contract.md §2 on Koa 3 with koa-session: the backend's
// tokens live in koa-session's external store, and the cookie (koa.sess)
// holds only the session id, signed with app.keys through the cookies
// module, whose signature travels in the companion cookie koa.sess.sig.
// Written the way koa-session's README writes it: app.keys, session(CONFIG,
// app), ctx.session.regenerate() at login, ctx.session = null to destroy.

import Koa from "koa";
import Router from "@koa/router";
import { bodyParser } from "@koa/bodyparser";
import session from "koa-session";
import { backendClient, jsonBody, loginPage, parseJSON, refreshOnce, refresher, str } from "refreshspec-example-bff-common";
import { fileStore, memoryStore } from "./store.js";
import { page, redirect, sendAPI, sendProfilePage } from "./respond.js";

/** The cookie, and the session behind it, last as long as the refresh token (7 days). */
const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
/** The largest profile update forwarded. */
const MAX_BODY_BYTES = 1 << 20;

export function createApp(cfg, log = (entry) => console.log(JSON.stringify(entry))) {
  const call = backendClient(cfg);
  const shared = refresher(call, log);
  const { latest } = shared;
  // PLANTED BUG unshared-refresh: every request refreshes on its own,
  // trusting koa-session to serialise a session's requests, which it does
  // not: each request loads the session from the store on its own.
  const refresh = cfg.plantedBug === "unshared-refresh" ? (rt) => refreshOnce(call, log, rt) : shared.refresh;
  const cookieName = "koa.sess";

  const app = new Koa();
  // Keygrip: the first key signs koa.sess.sig, every key verifies it.
  app.keys = cfg.secrets;
  // Behind one TLS-terminating proxy: ctx.secure follows X-Forwarded-Proto,
  // and the cookies module refuses to set a Secure cookie on a request that
  // was not https at the edge.
  app.proxy = true;

  app.use(async (ctx, next) => {
    ctx.set("Cache-Control", "no-store");
    try {
      await next();
    } catch (err) {
      const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 500 ? err.status : 500;
      if (status === 500) {
        log({ msg: "internal error", error: String(err?.stack ?? err) });
      }
      ctx.status = status;
      ctx.body = { success: false, message: status === 500 ? "internal error" : err.message };
    }
  });

  // The cookies module signs koa.sess.sig again under the first key when an
  // older key of app.keys verified it, but with its own defaults (no
  // SameSite), not the session's attributes: set the pair again with them.
  app.use(async (ctx, next) => {
    await next();
    if (cfg.plantedBug === "default-resign") {
      // PLANTED BUG default-resign: the cookies module's re-signed
      // koa.sess.sig goes out as it is, without SameSite.
      return;
    }
    // Only a signature given a value: one that did not verify is cleared,
    // and then no id is signed here.
    const setCookies = [ctx.response.get("Set-Cookie") || []].flat();
    const resigned = setCookies.some((c) => c.startsWith(`${cookieName}.sig=`) && !c.startsWith(`${cookieName}.sig=;`) && !/;\s*samesite=/i.test(c));
    const id = ctx.cookies.get(cookieName, { signed: false });
    if (resigned && id && ctx.session?.externalKey === id && ctx.session.tokens) {
      ctx.cookies.set(cookieName, id, { path: "/", maxAge: SESSION_TTL_MS, httpOnly: true, secure: cfg.cookieSecure, sameSite: "lax", signed: true, overwrite: true });
    }
  });

  app.use(session({
    key: cookieName,
    maxAge: SESSION_TTL_MS,
    httpOnly: true,
    // The cookie holds an id, and the id is signed: koa.sess.sig.
    signed: true,
    secure: cfg.cookieSecure,
    sameSite: "lax",
    // Saved only when changed: a request that loaded the session before a
    // concurrent rotation does not write the old tokens back.
    rolling: false,
    // Tokens in the cookie store would be base64 JSON, signed but readable:
    // an external store keeps them on the server.
    store: cfg.storeDir ? fileStore(cfg.storeDir) : memoryStore(),
  }, app));

  /** endSession destroys the stored session; koa-session clears koa.sess and koa.sess.sig when it commits. */
  function endSession(ctx) {
    ctx.session = null;
  }

  /**
   * callWithRefresh sends one request to the backend with the session's
   * access token; on a 401 it refreshes (shared with every other request of
   * the session) and retries once with the same method, body and
   * Content-Type. Other statuses, 403/404/429/5xx included, are answers. A
   * rotation is saved to the store before the retry, and the session ends on
   * invalid_grant.
   */
  async function callWithRefresh(ctx, request) {
    const tokens = ctx.session.tokens;
    const first = await call({ ...request, accessToken: tokens.accessToken });
    if (!first.ok) {
      return unavailable(first.reason);
    }
    if (first.status !== 401) {
      return { kind: "answer", ...first };
    }
    const outcome = await refresh(tokens.refreshToken);
    if (outcome.kind === "invalid") {
      endSession(ctx);
      return { kind: "ended" };
    }
    if (outcome.kind === "unavailable") {
      return outcome;
    }
    ctx.session.tokens = outcome.tokens;
    await ctx.session.save();
    // PLANTED BUG retry-drops-body: the retry is built from the route and
    // the new token alone, and a PATCH goes out again without its body.
    const again = cfg.plantedBug === "retry-drops-body" ? { method: request.method, path: request.path } : request;
    const retry = await call({ ...again, accessToken: outcome.tokens.accessToken });
    if (!retry.ok) {
      return unavailable(retry.reason);
    }
    if (retry.status === 401) {
      // Refused with a fresh token too: no second refresh, no loop.
      endSession(ctx);
      return { kind: "ended" };
    }
    return { kind: "answer", ...retry };
  }

  /** requireLogin answers an anonymous request before it reaches a route. */
  function requireLogin(kind) {
    return async (ctx, next) => {
      if (ctx.session.tokens) {
        return next();
      }
      if (ctx.get("cookie").includes(`${cookieName}=`)) {
        // An unknown, expired or forged session id: drop the cookie.
        endSession(ctx);
      }
      if (kind === "page") {
        return redirect(ctx, "/login");
      }
      ctx.status = 401;
      ctx.body = { success: false };
    };
  }

  const router = new Router();

  router.get("/login", (ctx) => {
    page(ctx, 200, loginPage());
  });

  router.post("/login", bodyParser({ enableTypes: ["json", "form"] }), async (ctx) => {
    const form = !ctx.is("application/json");
    const fail = (status, message) => {
      if (form) {
        return page(ctx, status, loginPage({ message }));
      }
      ctx.status = status;
      ctx.body = { success: false, message };
    };
    const { email, password } = ctx.request.body ?? {};
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
    // ctx.session = {...} would keep the id the browser arrived with
    // (koa-session reuses the external key): regenerate() destroys it and
    // stores the session under a new one, against session fixation.
    ctx.session.tokens = { accessToken, refreshToken };
    // PLANTED BUG keeps-session-id-at-login: the tokens are saved under the
    // session id the browser arrived with, as `ctx.session = {...}` does:
    // whoever planted that id holds the new session (P1.5).
    if (cfg.plantedBug !== "keeps-session-id-at-login") {
      await ctx.session.regenerate();
    }
    if (form) {
      return redirect(ctx, "/profile");
    }
    ctx.body = { success: true, user: doc.data.user ?? null };
  });

  router.get("/profile", requireLogin("page"), async (ctx) => {
    sendProfilePage(ctx, await callWithRefresh(ctx, { method: "GET", path: "/api/user/me" }));
  });

  router.get("/api/me", requireLogin("api"), async (ctx) => {
    sendAPI(ctx, await callWithRefresh(ctx, { method: "GET", path: "/api/user/me" }));
  });

  // The body is kept as the bytes that came in, so that the retry after a
  // refresh sends exactly what the first attempt sent.
  router.patch("/api/profile", requireLogin("api"), async (ctx) => {
    const raw = await readBody(ctx);
    const body = raw.length > 0 ? raw : undefined;
    sendAPI(ctx, await callWithRefresh(ctx, { method: "PATCH", path: "/api/user/profile", body, contentType: ctx.get("content-type") || undefined }));
  });

  router.post("/logout", async (ctx) => {
    const tokens = ctx.session.tokens;
    let confirmed = true;
    if (tokens) {
      // A request a moment earlier may have rotated the token: revoke the newest.
      const answer = await call({ method: "POST", path: "/auth/logout", body: jsonBody({ refresh_token: latest(tokens.refreshToken) }) });
      confirmed = answer.ok && answer.status === 200;
      if (!confirmed) {
        log({ msg: "logout: the backend did not confirm the revocation", status: answer.status, reason: answer.reason });
      }
    }
    if (!confirmed && cfg.plantedBug === "logout-only-on-200") {
      // PLANTED BUG logout-only-on-200: the session is kept until the
      // backend confirms the revocation, and an outage keeps the user in.
      ctx.status = 502;
      ctx.body = { success: false, message: "logout failed, try again" };
      return;
    }
    // An unreachable backend does not keep the user logged in here.
    endSession(ctx);
    if (ctx.accepts(["json", "html"]) === "html") {
      return redirect(ctx, "/login");
    }
    ctx.body = { success: true };
  });

  app.use(router.routes());
  app.use(router.allowedMethods());

  return app;
}

function unavailable(reason) {
  return { kind: "unavailable", status: reason === "timeout" ? 504 : 502 };
}

/** readBody collects the request's bytes, up to MAX_BODY_BYTES (413 beyond). */
async function readBody(ctx) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      ctx.throw(413, "request body too large");
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
