// POST /logout: destroy the session, clear the cookie, revoke the family at the backend.

import { cookies } from "next/headers";
import { getIronSession } from "iron-session";
import { backendCall, jsonBody } from "@/lib/backend";
import { config } from "@/lib/config";
import { forget, latestRefreshToken } from "@/lib/refresh";
import { json, wantsHTML } from "@/lib/respond";
import { clearSessionCookie, readSession, seedSessionOptions, type SessionData } from "@/lib/session";

export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  let setCookie: string | undefined;
  if (config().seedAsWritten) {
    const session = await getIronSession<SessionData>(await cookies(), seedSessionOptions());
    if (session.refreshToken) {
      await backendCall({ method: "POST", path: "/auth/logout", body: jsonBody({ refresh_token: session.refreshToken }) });
    }
    session.destroy();
  } else {
    const session = await readSession(req.headers.get("cookie"));
    if (session.kind === "active") {
      // A concurrent request may have rotated the cookie's refresh token a
      // moment ago: revoke the newest one this process knows of.
      const refreshToken = latestRefreshToken(session.tokens.refreshToken);
      const answer = await backendCall({ method: "POST", path: "/auth/logout", body: jsonBody({ refresh_token: refreshToken }) });
      if (answer.kind === "failed" || answer.status !== 200) {
        // The local session ends anyway; the family stays valid until it expires.
        console.log(JSON.stringify({ msg: "backend logout failed", outcome: answer.kind === "failed" ? answer.reason : answer.status }));
      }
      forget(session.tokens.refreshToken);
    }
    setCookie = clearSessionCookie();
  }
  if (wantsHTML(req)) {
    const headers = new Headers({ Location: "/login", "Cache-Control": "no-store" });
    if (setCookie) {
      headers.append("Set-Cookie", setCookie);
    }
    return new Response(null, { status: 303, headers });
  }
  return json(200, { success: true }, setCookie);
}
