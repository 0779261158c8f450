// The encrypted session cookie (contract.md §2: tokens live only here).
//
// The fixed code seals and unseals with iron-session's sealData/unsealData and
// writes Set-Cookie itself instead of session.save(): a route handler or
// middleware then decides the status first and attaches the cookie to that
// same response, a refresh shared by concurrent requests hands every one of
// them the same sealed value, and a broken cookie is caught here and becomes
// an anonymous session instead of an exception. The seed mode uses
// getIronSession as the seed does (see seed/auth.ts).

import { sealData, unsealData, type SessionOptions } from "iron-session";
import { config } from "./config";

/** SessionData is what the cookie holds: the backend's tokens, nothing the client may read. */
export interface SessionData {
  accessToken?: string;
  refreshToken?: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export type SessionState =
  | { kind: "anonymous"; hadCookie: boolean }
  | { kind: "active"; tokens: Tokens; resealNeeded: boolean };

/** readSession unseals the cookie; tampered, expired, foreign-key or malformed cookies are anonymous. */
export async function readSession(cookieHeader: string | null): Promise<SessionState> {
  const cfg = config();
  const raw = cookieValue(cookieHeader, cfg.cookieName);
  if (raw === undefined || raw === "") {
    return { kind: "anonymous", hadCookie: raw !== undefined };
  }
  // An iron seal reads "Fe26.2*<password id>*...". The id is only a label:
  // the numbering of SESSION_SECRET's list changes as secrets come and go
  // ("old" → "new,old" → "new"), so every secret is tried under the seal's
  // id, newest first. A cookie that only an older secret opens is resealed
  // under the newest on the way out.
  const passwordId = raw.split("*")[1] ?? "";
  if (!/^\w+$/.test(passwordId)) {
    return { kind: "anonymous", hadCookie: true };
  }
  for (const [i, secret] of cfg.secrets.entries()) {
    let data: SessionData;
    try {
      data = await unsealData<SessionData>(raw, { password: { [passwordId]: secret }, ttl: cfg.sessionTTL });
    } catch {
      // unsealData rethrows some malformed seals (bad base64, bad JSON): still only a bad cookie.
      return { kind: "anonymous", hadCookie: true };
    }
    if (typeof data?.accessToken === "string" && typeof data?.refreshToken === "string" && data.accessToken && data.refreshToken) {
      return {
        kind: "active",
        tokens: { accessToken: data.accessToken, refreshToken: data.refreshToken },
        resealNeeded: i > 0 || passwordId !== cfg.currentPasswordId,
      };
    }
  }
  return { kind: "anonymous", hadCookie: true };
}

/** sealTokens seals a session under the newest secret. */
export async function sealTokens(tokens: Tokens): Promise<string> {
  const cfg = config();
  const data: SessionData = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  return sealData(data, { password: cfg.passwords, ttl: cfg.sessionTTL });
}

/** sessionSetCookie is the Set-Cookie value that stores a sealed session. */
export function sessionSetCookie(sealed: string): string {
  const cfg = config();
  // iron-session's own convention: the cookie dies a minute before the seal.
  return serializeCookie(cfg.cookieName, sealed, cfg.sessionTTL - 60);
}

/** clearSessionCookie is the Set-Cookie value that removes the session cookie. */
export function clearSessionCookie(): string {
  return serializeCookie(config().cookieName, "", 0);
}

function serializeCookie(name: string, value: string, maxAge: number): string {
  const parts = [`${name}=${value}`, "Path=/", `Max-Age=${maxAge}`];
  if (maxAge === 0) {
    parts.push("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  }
  parts.push("HttpOnly", "SameSite=Lax");
  if (config().cookieSecure) {
    parts.push("Secure");
  }
  return parts.join("; ");
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) {
    return undefined;
  }
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      continue;
    }
    if (part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** seedSessionOptions are the options the seed passes to getIronSession. */
export function seedSessionOptions(): SessionOptions {
  const cfg = config();
  return {
    cookieName: cfg.cookieName,
    password: cfg.passwords,
    ttl: cfg.sessionTTL,
    cookieOptions: { httpOnly: true, sameSite: "lax", path: "/", secure: cfg.cookieSecure },
  };
}
