// Turning the outcome of a backend call into the client's answer, the same
// for every session model. An outcome is one of
//   { kind: "answer", status, headers, body }   the backend answered
//   { kind: "ended" }                            the session is over
//   { kind: "unavailable", status, retryAfter? } keep the session, try later

import { parseJSON } from "./backend.js";
import { errorPage, profilePage } from "./pages.js";

/** unavailable is the outcome of a backend call that got no answer. */
export function unavailable(reason) {
  return { kind: "unavailable", status: reason === "timeout" ? 504 : 502 };
}

/** sendAPI answers an api route: the backend's answer as it is, 401 for an ended session, 502-504 for an outage. */
export function sendAPI(res, result) {
  if (result.kind === "ended") {
    return res.status(401).json({ success: false });
  }
  if (result.kind === "unavailable") {
    retryAfter(res, result.retryAfter);
    return res.status(result.status).json({ success: false, message: "the backend is unavailable, try again" });
  }
  retryAfter(res, result.headers.get("retry-after"));
  res.status(result.status).type(result.headers.get("content-type") ?? "application/json").send(result.body);
}

/**
 * sendProfilePage answers GET /profile: the page with the user's first name,
 * a redirect to /login for an ended session, or an error page that keeps the
 * backend's status (a 5xx becomes 502), never a redirect for an outage.
 */
export function sendProfilePage(res, result) {
  if (result.kind === "ended") {
    return res.redirect(303, "/login");
  }
  if (result.kind === "unavailable") {
    retryAfter(res, result.retryAfter);
    return res.status(result.status).type("html").send(errorPage(result.status, "The service is unavailable, try again."));
  }
  const user = result.status === 200 ? parseJSON(result.body)?.data : undefined;
  if (!user) {
    const status = result.status >= 500 || result.status === 200 ? 502 : result.status;
    retryAfter(res, result.headers.get("retry-after"));
    return res.status(status).type("html").send(errorPage(status, "Your profile could not be loaded."));
  }
  res.type("html").send(profilePage(user));
}

/** errorHandler is the app's last middleware: 4xx with a JSON reason, 500 logged. */
export function errorHandler(log) {
  return (err, req, res, next) => {
    if (res.headersSent) {
      return next(err);
    }
    const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) {
      log({ msg: "internal error", error: String(err?.stack ?? err) });
    }
    res.status(status).json({ success: false, message: status === 500 ? "internal error" : err.message });
  };
}

function retryAfter(res, value) {
  if (value) {
    res.set("Retry-After", value);
  }
}
