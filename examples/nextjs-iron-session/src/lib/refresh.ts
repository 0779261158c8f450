// One refresh per session at a time (contract.md §2: "concurrent requests of
// one session that all meet a 401 cause one refresh, and all of them succeed").
//
// The backend rotates refresh tokens and treats a second use of one as theft,
// so two requests carrying the same cookie must never both call /auth/refresh.
// Two pieces do that inside this process:
//   - inflight: refresh token -> the promise of its one refresh call; every
//     request that meets a 401 with that refresh token awaits the same promise;
//   - recent: refresh token -> the outcome, kept RECENT_MS after the call
//     ended, for requests that were sent with the old cookie before the
//     browser got the rotated one (they arrive after the call finished).
// Both live on globalThis so that the middleware bundle (the /profile page's
// data fetch) and the route handlers' bundles share them.
//
// This is an in-process lock: with several server processes behind a load
// balancer a session may still refresh twice; the backend's reuse grace
// window (contract.md §1) or a shared store would be needed there.

import { backendCall, fingerprint, jsonBody, lookupString, parseJSON } from "./backend";
import { config } from "./config";
import { sealTokens, type Tokens } from "./session";

export type RefreshOutcome =
  /** The backend rotated the tokens; sealed is the session cookie value every waiter sends. */
  | { kind: "rotated"; tokens: Tokens; sealed: string }
  /** invalid_grant (401 or 400): the session is over. */
  | { kind: "invalid" }
  /** Anything else (network, timeout, 5xx, 429, a malformed answer): keep the session, answer 502/503. */
  | { kind: "unavailable"; status: 502 | 503; retryAfter?: string; reason: string };

const RECENT_MS = 30_000;

interface State {
  inflight: Map<string, Promise<RefreshOutcome>>;
  recent: Map<string, { outcome: RefreshOutcome; until: number }>;
}

const stateKey = Symbol.for("refreshspec.nextjs-iron-session.refresh");

function state(): State {
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  g[stateKey] ??= { inflight: new Map(), recent: new Map() };
  return g[stateKey]!;
}

/**
 * refreshAccessToken exchanges a refresh token for new tokens, at most once
 * per refresh token in this process. It is the seed's refreshAccessToken with
 * the session handling moved out: it does not read or save the session (the
 * caller puts `sealed` on its own response), and it is not a server action,
 * because a server action is a public POST endpoint and cannot set cookies
 * while a Server Component renders either.
 */
export function refreshAccessToken(refreshToken: string): Promise<RefreshOutcome> {
  const s = state();
  const now = Date.now();
  for (const [key, entry] of s.recent) {
    if (entry.until <= now) {
      s.recent.delete(key);
    }
  }
  const recent = s.recent.get(refreshToken);
  if (recent) {
    return Promise.resolve(recent.outcome);
  }
  const running = s.inflight.get(refreshToken);
  if (running) {
    return running;
  }
  // The call is not tied to any one request: a client that hangs up does not
  // abort the refresh the others are waiting for. backendCall bounds it.
  const call = callRefresh(refreshToken)
    .then((outcome) => {
      // PLANTED_BUG=forgotten-refresh: the usual promise de-duplication,
      // which forgets the refresh the moment it ends. Requests that left
      // the browser with the old cookie and arrive a moment later refresh
      // again with the spent token: the backend sees reuse and revokes the
      // family (P7.1).
      if (outcome.kind !== "unavailable" && config().plantedBug !== "forgotten-refresh") {
        s.recent.set(refreshToken, { outcome, until: Date.now() + RECENT_MS });
      }
      return outcome;
    })
    .finally(() => s.inflight.delete(refreshToken));
  s.inflight.set(refreshToken, call);
  return call;
}

/** latestRefreshToken follows rotations this process made, so logout revokes the newest token. */
export function latestRefreshToken(refreshToken: string): string {
  const s = state();
  let rt = refreshToken;
  for (let i = 0; i < 16; i++) {
    const entry = s.recent.get(rt);
    if (!entry || entry.outcome.kind !== "rotated") {
      break;
    }
    rt = entry.outcome.tokens.refreshToken;
  }
  return rt;
}

/** forget drops what this process remembers about a session's refresh tokens (after logout). */
export function forget(refreshToken: string): void {
  const s = state();
  let rt: string | undefined = refreshToken;
  for (let i = 0; i < 16 && rt; i++) {
    const entry = s.recent.get(rt);
    s.recent.delete(rt);
    rt = entry?.outcome.kind === "rotated" ? entry.outcome.tokens.refreshToken : undefined;
  }
}

async function callRefresh(refreshToken: string): Promise<RefreshOutcome> {
  const fp = await fingerprint(refreshToken);
  const answer = await backendCall({ method: "POST", path: "/auth/refresh", body: jsonBody({ refresh_token: refreshToken }) });
  const outcome = await judge(answer);
  console.log(
    JSON.stringify({ msg: "refresh", refresh_token_fp: fp, outcome: outcome.kind, reason: outcome.kind === "unavailable" ? outcome.reason : undefined }),
  );
  return outcome;
}

async function judge(answer: Awaited<ReturnType<typeof backendCall>>): Promise<RefreshOutcome> {
  if (answer.kind === "failed") {
    return { kind: "unavailable", status: 503, reason: `refresh ${answer.reason}` };
  }
  const { status } = answer;
  if (status === 401 || status === 400) {
    return { kind: "invalid" };
  }
  if (status === 429) {
    return { kind: "unavailable", status: 503, retryAfter: answer.headers.get("retry-after") ?? undefined, reason: "refresh rate limited" };
  }
  if (status !== 200) {
    return { kind: "unavailable", status: 502, reason: `refresh answered ${status}` };
  }
  const doc = parseJSON(answer.body);
  const accessToken = lookupString(doc, "data.authorization.access_token");
  const newRefreshToken = lookupString(doc, "data.authorization.refresh_token");
  const success = typeof doc === "object" && doc !== null && (doc as { success?: unknown }).success === true;
  if (!success || !accessToken || !newRefreshToken) {
    // A 200 without tokens must not overwrite the stored ones.
    return { kind: "unavailable", status: 502, reason: "refresh answer malformed" };
  }
  const tokens = { accessToken, refreshToken: newRefreshToken };
  return { kind: "rotated", tokens, sealed: await sealTokens(tokens) };
}
