// POST /login (the middleware rewrites it here: Next.js cannot serve a page
// and a route handler on one path). contract.md §2: JSON or form body; tokens
// go into the encrypted cookie only; 200 JSON or 303 to /profile; 401 on bad
// credentials, with no cookie.

import { cookies } from "next/headers";
import { getIronSession } from "iron-session";
import { backendCall, jsonBody, lookupString, parseJSON } from "@/lib/backend";
import { config } from "@/lib/config";
import { escapeHTML, json } from "@/lib/respond";
import { sealTokens, seedSessionOptions, sessionSetCookie, type SessionData } from "@/lib/session";

export const dynamic = "force-dynamic";

const MAX_BODY = 64 * 1024;

export async function POST(req: Request): Promise<Response> {
  const contentType = req.headers.get("content-type") ?? "";
  const isForm = contentType.includes("application/x-www-form-urlencoded") || contentType.includes("multipart/form-data");
  const fail = (status: number, message: string, extra?: Record<string, string>) =>
    isForm ? html(status, message) : json(status, { success: false, message }, undefined, extra);

  const raw = await req.arrayBuffer().catch(() => undefined);
  if (raw === undefined || raw.byteLength > MAX_BODY) {
    return fail(raw === undefined ? 400 : 413, "request body unreadable or too large");
  }
  const fields = readCredentials(raw, contentType, isForm);
  if (!fields) {
    return fail(400, "want email and password");
  }

  const answer = await backendCall({ method: "POST", path: "/auth/login", body: jsonBody(fields) });
  if (answer.kind === "failed") {
    return fail(503, "the backend is unavailable, try again");
  }
  if (answer.status === 401 || answer.status === 400) {
    return fail(answer.status, answer.status === 401 ? "wrong email or password" : "the backend refused the request");
  }
  if (answer.status === 429) {
    return fail(429, "too many attempts, try again later", answer.headers.get("retry-after") ? { "Retry-After": answer.headers.get("retry-after")! } : undefined);
  }
  const doc = parseJSON(answer.body);
  const accessToken = lookupString(doc, "data.authorization.access_token");
  const refreshToken = lookupString(doc, "data.authorization.refresh_token");
  if (answer.status !== 200 || !accessToken || !refreshToken) {
    return fail(502, "the backend answered the login unexpectedly");
  }
  const user = publicUser((doc as { data?: { user?: unknown } }).data?.user);

  let setCookie: string | undefined;
  if (config().seedAsWritten) {
    // The seed's way: session.save() through next/headers' cookie store.
    const session = await getIronSession<SessionData>(await cookies(), seedSessionOptions());
    session.accessToken = accessToken;
    session.refreshToken = refreshToken;
    await session.save();
  } else {
    setCookie = sessionSetCookie(await sealTokens({ accessToken, refreshToken }));
  }

  if (isForm) {
    const headers = new Headers({ Location: "/profile", "Cache-Control": "no-store" });
    if (setCookie) {
      headers.append("Set-Cookie", setCookie);
    }
    return new Response(null, { status: 303, headers });
  }
  return json(200, { success: true, user }, setCookie);
}

function readCredentials(raw: ArrayBuffer, contentType: string, isForm: boolean): { email: string; password: string } | undefined {
  const text = new TextDecoder().decode(raw);
  let email: unknown;
  let password: unknown;
  if (isForm && contentType.includes("application/x-www-form-urlencoded")) {
    const params = new URLSearchParams(text);
    email = params.get("email");
    password = params.get("password");
  } else if (isForm) {
    return undefined; // multipart is not what the login form sends
  } else {
    const doc = parseJSON(new Uint8Array(raw));
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      return undefined;
    }
    email = (doc as Record<string, unknown>).email;
    password = (doc as Record<string, unknown>).password;
  }
  if (typeof email !== "string" || typeof password !== "string" || email === "" || password === "") {
    return undefined;
  }
  return { email, password };
}

/** publicUser keeps the user fields the client may see. */
function publicUser(u: unknown): Record<string, unknown> | undefined {
  if (u === null || typeof u !== "object") {
    return undefined;
  }
  const { id, email, firstName, lastName } = u as Record<string, unknown>;
  return { id, email, firstName, lastName };
}

function html(status: number, message: string): Response {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Log in</title></head><body><p id="error">${escapeHTML(message)}</p><p><a href="/login">Back to the login page</a></p></body></html>`;
  return new Response(body, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}
