// Next.js middleware: the one place before a page renders that may set cookies.
//
//  - POST /login is rewritten to the login route handler (a path cannot have
//    both a page and a route handler in the App Router).
//  - GET /profile: the page's backend call, with its refresh and retry,
//    happens here, because a Server Component cannot set the rotated session
//    cookie (cookies().set throws while rendering). The user it fetched goes
//    to the page in a request header that this middleware always overwrites,
//    so a client cannot inject it. See README.md "Where the refresh happens".
//
// It runs in the Node.js runtime so that it shares the in-process refresh
// lock (lib/refresh.ts) with the route handlers.

import { NextResponse, type NextRequest } from "next/server";
import { performFetch, sessionCookieFor, type FetchResult } from "@/lib/apiUtils";
import { parseJSON } from "@/lib/backend";
import { config as appConfig } from "@/lib/config";
import { escapeHTML } from "@/lib/respond";
import { readSession } from "@/lib/session";
import { PROFILE_USER_HEADER } from "@/lib/profileUser";

export const config = {
  runtime: "nodejs",
  matcher: ["/login", "/profile"],
};

export async function middleware(req: NextRequest): Promise<NextResponse> {
  const { pathname } = req.nextUrl;
  if (pathname === "/login") {
    if (req.method === "POST") {
      return NextResponse.rewrite(new URL("/api/auth/login", req.url));
    }
    return NextResponse.next();
  }

  // /profile
  const requestHeaders = new Headers(req.headers);
  requestHeaders.delete(PROFILE_USER_HEADER);
  if (appConfig().seedAsWritten || req.method !== "GET") {
    // The seed fetches (and refreshes) inside the Server Component itself.
    return NextResponse.next({ request: { headers: requestHeaders } });
  }

  const session = await readSession(req.headers.get("cookie"));
  if (session.kind === "anonymous") {
    return toLogin(req);
  }
  const result = await performFetch(session.tokens, "/api/user/me", { method: "GET" });
  const setCookie = await sessionCookieFor(session, result);
  if (result.kind === "unauthenticated") {
    return toLogin(req);
  }
  if (result.kind === "unavailable") {
    return errorPage(result.status, "The service is unavailable for a moment. Reload the page to try again.", setCookie, result.retryAfter);
  }
  if (result.status !== 200) {
    const status = result.status >= 500 ? 502 : result.status;
    return errorPage(status, `The backend answered ${result.status}.`, setCookie);
  }
  const doc = parseJSON(result.body) as { data?: Record<string, unknown> } | undefined;
  const user = doc?.data;
  if (!user || typeof user.firstName !== "string") {
    return errorPage(502, "The backend's answer was not understood.", setCookie);
  }
  const { id, email, firstName, lastName } = user;
  requestHeaders.set(PROFILE_USER_HEADER, encodeURIComponent(JSON.stringify({ id, email, firstName, lastName })));
  const res = NextResponse.next({ request: { headers: requestHeaders } });
  res.headers.set("Cache-Control", "no-store");
  attachSession(res, setCookie, result);
  return res;
}

// attachSession puts the session's Set-Cookie (sessionCookieFor: the
// rotated session, a reseal or nothing) on the page's response.
function attachSession(res: NextResponse, setCookie: string | undefined, result: FetchResult): void {
  const rotated = result.kind === "unauthenticated" ? undefined : result.rotated;
  if (rotated && appConfig().plantedBug === "bare-rotated-cookie") {
    // PLANTED_BUG=bare-rotated-cookie: a rotation changes only the value,
    // so it is saved as a name and a value, as Next.js's cookie API invites.
    // With no options ResponseCookies writes `session=<seal>; Path=/`: the
    // login's cookie was HttpOnly, SameSite=Lax (and Secure), the rotated
    // one is none of these, and page scripts can read it from then on (P1.2).
    res.cookies.set(appConfig().cookieName, rotated.sealed);
    return;
  }
  if (setCookie) {
    res.headers.append("Set-Cookie", setCookie);
  }
}

function toLogin(req: NextRequest): NextResponse {
  return NextResponse.rewrite(new URL("/api/auth/session-ended", req.url));
}

function errorPage(status: number, message: string, setCookie?: string, retryAfter?: string): NextResponse {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Profile</title></head><body><p id="error">${escapeHTML(message)}</p></body></html>`;
  const res = new NextResponse(body, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
  if (retryAfter) {
    res.headers.set("Retry-After", retryAfter);
  }
  if (setCookie) {
    res.headers.append("Set-Cookie", setCookie);
  }
  return res;
}
