// performFetch: the seed's "call the backend, refresh on 401, retry once",
// with the seed's flaws fixed (see README.md).

import { backendCall, type BackendRequest } from "./backend";
import { refreshAccessToken, type RefreshOutcome } from "./refresh";
import { clearSessionCookie, sealTokens, sessionSetCookie, type SessionState, type Tokens } from "./session";

export type FetchResult =
  /** The backend answered (after at most one refresh and one retry). */
  | { kind: "answer"; status: number; headers: Headers; body: Uint8Array<ArrayBuffer>; rotated?: Rotation }
  /** The session cannot be recovered: the cookie must be cleared. */
  | { kind: "unauthenticated" }
  /** The backend could not be reached or refresh failed for a transient reason: keep the session. */
  | { kind: "unavailable"; status: 502 | 503; retryAfter?: string; rotated?: Rotation };

/** Rotation is a refresh that happened while serving the request: its cookie goes on the response. */
export interface Rotation {
  tokens: Tokens;
  sealed: string;
}

export interface FetchOptions {
  method: string;
  /** Buffered once by the caller, so the retry sends the identical bytes. */
  body?: Uint8Array<ArrayBuffer>;
  contentType?: string;
}

/**
 * performFetch sends one request to the backend with the session's access
 * token. On a 401 it refreshes (one refresh per session, shared by concurrent
 * requests) and retries once with the new access token, the same method and
 * the same body. It never retries twice and never refreshes on other statuses.
 */
export async function performFetch(tokens: Tokens, path: string, options: FetchOptions): Promise<FetchResult> {
  const request: BackendRequest = { method: options.method, path, body: options.body, contentType: options.contentType };
  const first = await backendCall({ ...request, accessToken: tokens.accessToken });
  if (first.kind === "failed") {
    return { kind: "unavailable", status: first.reason === "timeout" ? 503 : 502 };
  }
  if (first.status !== 401) {
    return first;
  }

  const refreshed: RefreshOutcome = await refreshAccessToken(tokens.refreshToken);
  if (refreshed.kind === "invalid") {
    return { kind: "unauthenticated" };
  }
  if (refreshed.kind === "unavailable") {
    return { kind: "unavailable", status: refreshed.status, retryAfter: refreshed.retryAfter };
  }
  const rotated: Rotation = { tokens: refreshed.tokens, sealed: refreshed.sealed };

  const retry = await backendCall({ ...request, accessToken: rotated.tokens.accessToken });
  if (retry.kind === "failed") {
    // The old refresh token is spent: the response must still carry the new ones.
    return { kind: "unavailable", status: retry.reason === "timeout" ? 503 : 502, rotated };
  }
  if (retry.status === 401) {
    // A fresh token was refused too: no second refresh, no loop.
    return { kind: "unauthenticated" };
  }
  return { ...retry, rotated };
}

/**
 * sessionCookieFor is the Set-Cookie a response needs after performFetch:
 * the rotated session, a reseal under the newest secret, a cleared cookie, or
 * nothing.
 */
export async function sessionCookieFor(session: SessionState, result?: FetchResult): Promise<string | undefined> {
  if (result?.kind === "unauthenticated") {
    return clearSessionCookie();
  }
  if (result?.rotated) {
    return sessionSetCookie(result.rotated.sealed);
  }
  if (session.kind === "anonymous") {
    return clearSessionCookie();
  }
  if (session.resealNeeded) {
    return sessionSetCookie(await sealTokens(session.tokens));
  }
  return undefined;
}
