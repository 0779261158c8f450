// One refresh per session (contract.md §2), shared by every request that
// needs it.
//
// The backend rotates refresh tokens and treats a second use of one as
// theft: it revokes the whole family. The cookie holds the refresh token, so
// every request of a session carries the same one until the browser stores
// the rotated cookie, and each of them may meet a 401. Two maps keyed by the
// refresh token keep the backend from seeing it twice:
//   - inflight: the promise of the one /auth/refresh call under way;
//   - recent: its outcome, kept for RECENT_MS after it ended, for requests
//     that left the browser with the old cookie before the rotated one
//     arrived (they meet their 401 after the call finished).
// Both are per process. Several processes behind a load balancer need a
// shared store or the backend's reuse grace window.

import { fingerprint, jsonBody, parseJSON, str } from "./backend.js";

/** How long a finished refresh answers for its spent refresh token. */
const RECENT_MS = 10_000;

/** refresher returns refresh and latest over the backend client call (backend.js). */
export function refresher(call, log) {
  const inflight = new Map();
  const recent = new Map();

  /**
   * refresh exchanges a refresh token for new tokens, at most once per
   * refresh token. It resolves to one of
   *   { kind: "rotated", tokens: { accessToken, refreshToken } }
   *   { kind: "invalid" }                      invalid_grant: the session is over
   *   { kind: "unavailable", status, retryAfter?, reason }   keep the session
   * The call belongs to no single request: a client that hangs up does not
   * abort it for the others, and BACKEND_TIMEOUT bounds it.
   */
  function refresh(refreshToken) {
    const now = Date.now();
    for (const [key, entry] of recent) {
      if (entry.until <= now) {
        recent.delete(key);
      }
    }
    const done = recent.get(refreshToken);
    if (done) {
      return Promise.resolve(done.outcome);
    }
    let running = inflight.get(refreshToken);
    if (!running) {
      running = refreshOnce(call, log, refreshToken)
        .then((outcome) => {
          // A transient failure is not remembered: the next request may try again.
          if (outcome.kind !== "unavailable") {
            recent.set(refreshToken, { outcome, until: Date.now() + RECENT_MS });
          }
          return outcome;
        })
        .finally(() => inflight.delete(refreshToken));
      inflight.set(refreshToken, running);
    }
    return running;
  }

  /** latest follows the rotations this process made, so logout revokes the newest token. */
  function latest(refreshToken) {
    let rt = refreshToken;
    for (let i = 0; i < 16; i++) {
      const entry = recent.get(rt);
      if (entry?.outcome.kind !== "rotated") {
        break;
      }
      rt = entry.outcome.tokens.refreshToken;
    }
    return rt;
  }

  return { refresh, latest };
}

/**
 * refreshOnce is one /auth/refresh call and its outcome, shared with no one:
 * refresher's building block. Called per request, it is the bug refresher
 * exists to prevent.
 */
export async function refreshOnce(call, log, refreshToken) {
  const answer = await call({ method: "POST", path: "/auth/refresh", body: jsonBody({ refresh_token: refreshToken }) });
  const outcome = judge(answer);
  log({ msg: "refresh", refresh_token_fp: await fingerprint(refreshToken), outcome: outcome.kind, reason: outcome.reason });
  return outcome;
}

function judge(answer) {
  if (!answer.ok) {
    return { kind: "unavailable", status: answer.reason === "timeout" ? 504 : 502, reason: `refresh ${answer.reason}` };
  }
  if (answer.status === 401 || answer.status === 400) {
    return { kind: "invalid" };
  }
  if (answer.status === 429) {
    return { kind: "unavailable", status: 503, retryAfter: answer.headers.get("retry-after") ?? undefined, reason: "refresh rate limited" };
  }
  if (answer.status !== 200) {
    return { kind: "unavailable", status: 502, reason: `refresh answered ${answer.status}` };
  }
  const doc = parseJSON(answer.body);
  const accessToken = str(doc, "data.authorization.access_token");
  const refreshToken = str(doc, "data.authorization.refresh_token");
  if (doc?.success !== true || !accessToken || !refreshToken) {
    // A 200 without both tokens must not overwrite the stored ones.
    return { kind: "unavailable", status: 502, reason: "refresh answer malformed" };
  }
  return { kind: "rotated", tokens: { accessToken, refreshToken } };
}
