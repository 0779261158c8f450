// The outcome of a backend call as the client's answer, on Koa's ctx: what
// bff-common's respond.js does for Express. An outcome is one of
//   { kind: "answer", status, headers, body }   the backend answered
//   { kind: "ended" }                            the session is over
//   { kind: "unavailable", status, retryAfter? } keep the session, try later

import { errorPage, parseJSON, profilePage } from "refreshspec-example-bff-common";

/** sendAPI answers an api route: the backend's answer as it is, 401 for an ended session, 502-504 for an outage. */
export function sendAPI(ctx, result) {
  if (result.kind === "ended") {
    ctx.status = 401;
    ctx.body = { success: false };
    return;
  }
  if (result.kind === "unavailable") {
    retryAfter(ctx, result.retryAfter);
    ctx.status = result.status;
    ctx.body = { success: false, message: "the backend is unavailable, try again" };
    return;
  }
  retryAfter(ctx, result.headers.get("retry-after"));
  ctx.status = result.status;
  ctx.type = result.headers.get("content-type") ?? "application/json";
  ctx.body = result.body;
}

/**
 * sendProfilePage answers GET /profile: the page with the user's first name,
 * a redirect to /login for an ended session, or an error page that keeps the
 * backend's status (a 5xx becomes 502), never a redirect for an outage.
 */
export function sendProfilePage(ctx, result) {
  if (result.kind === "ended") {
    return redirect(ctx, "/login");
  }
  if (result.kind === "unavailable") {
    retryAfter(ctx, result.retryAfter);
    return page(ctx, result.status, errorPage(result.status, "The service is unavailable, try again."));
  }
  const user = result.status === 200 ? parseJSON(result.body)?.data : undefined;
  if (!user) {
    const status = result.status >= 500 || result.status === 200 ? 502 : result.status;
    retryAfter(ctx, result.headers.get("retry-after"));
    return page(ctx, status, errorPage(status, "Your profile could not be loaded."));
  }
  page(ctx, 200, profilePage(user));
}

/** redirect is a 303 (ctx.redirect answers 302, which a form post may repeat as a POST in old clients). */
export function redirect(ctx, path) {
  ctx.status = 303;
  ctx.redirect(path);
}

export function page(ctx, status, html) {
  ctx.status = status;
  ctx.type = "html";
  ctx.body = html;
}

function retryAfter(ctx, value) {
  if (value) {
    ctx.set("Retry-After", value);
  }
}
