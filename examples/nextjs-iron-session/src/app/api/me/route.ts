// GET /api/me: what the page's client-side code calls (contract.md §2).

import { performFetch, sessionCookieFor } from "@/lib/apiUtils";
import { config } from "@/lib/config";
import { forward, json } from "@/lib/respond";
import { readSession } from "@/lib/session";
import { seedMe } from "@/lib/seed/routes";

export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  if (config().seedAsWritten) {
    return seedMe();
  }
  const session = await readSession(req.headers.get("cookie"));
  if (session.kind === "anonymous") {
    return json(401, { success: false }, await sessionCookieFor(session));
  }
  const result = await performFetch(session.tokens, "/api/user/me", { method: "GET" });
  return forward(result, await sessionCookieFor(session, result));
}
