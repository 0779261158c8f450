// The sealed session cookie: the backend's tokens, encrypted by iron-session
// (contract.md §2: the tokens live only here, never readable by the client).

import { getIronSession } from "iron-session";

/** The refresh token's default life: the cookie need not outlive it. */
const SESSION_TTL = 7 * 24 * 3600;

/** A request without cookies, for a blank session when the real cookie cannot be read. */
const noCookie = { headers: {} };

export function sessionStore(cfg) {
  const base = {
    cookieName: cfg.cookieName,
    ttl: SESSION_TTL,
    cookieOptions: { httpOnly: true, secure: cfg.cookieSecure, sameSite: "lax", path: "/" },
  };
  const sealOptions = { ...base, password: cfg.passwords.seal };
  const unsealOptions = { ...base, password: cfg.passwords.unseal };
  const rotating = Object.keys(cfg.passwords.unseal).length > 1;

  /**
   * open reads the request's session. It resolves to { session, hadCookie,
   * reseal }: session is iron-session's object (save() and destroy() write
   * the cookie on res), anonymous when it holds no tokens; hadCookie says a
   * cookie came in, so that an anonymous answer clears it; reseal says the
   * cookie was sealed under an older secret of SESSION_SECRET and must be
   * sealed again under the first.
   *
   * getIronSession throws on some malformed seals (bad base64, bad JSON)
   * instead of returning an empty session; a broken cookie is still only an
   * anonymous visitor, never a 500.
   */
  async function open(req, res) {
    const hadCookie = hasCookie(req.headers.cookie, cfg.cookieName);
    let session;
    try {
      session = await getIronSession(req, res, sealOptions);
    } catch {
      session = undefined;
    }
    if (session && holdsTokens(session)) {
      return { session, hadCookie, reseal: false };
    }
    if (hadCookie && rotating) {
      try {
        const older = await getIronSession(req, res, unsealOptions);
        if (holdsTokens(older)) {
          session ??= await getIronSession(noCookie, res, sealOptions);
          session.accessToken = older.accessToken;
          session.refreshToken = older.refreshToken;
          return { session, hadCookie, reseal: true };
        }
      } catch {
        // as above: anonymous
      }
    }
    session ??= await getIronSession(noCookie, res, sealOptions);
    return { session, hadCookie, reseal: false };
  }

  return { open };
}

function holdsTokens(session) {
  return typeof session.accessToken === "string" && session.accessToken !== "" &&
    typeof session.refreshToken === "string" && session.refreshToken !== "";
}

function hasCookie(header, name) {
  return (header ?? "").split(";").some((part) => part.trim().startsWith(name + "="));
}
