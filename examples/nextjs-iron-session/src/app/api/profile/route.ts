// PATCH /api/profile: forwards its JSON body to the backend's PATCH /api/user/profile.

import { performFetch, sessionCookieFor } from "@/lib/apiUtils";
import { config } from "@/lib/config";
import { forward, json } from "@/lib/respond";
import { readSession } from "@/lib/session";
import { seedUpdateProfile } from "@/lib/seed/routes";

export const dynamic = "force-dynamic";

const MAX_BODY = 1 << 20;

export async function PATCH(req: Request): Promise<Response> {
  if (config().seedAsWritten) {
    return seedUpdateProfile(req);
  }
  const session = await readSession(req.headers.get("cookie"));
  if (session.kind === "anonymous") {
    return json(401, { success: false }, await sessionCookieFor(session));
  }
  // Read the body once into memory: a request stream can be sent only once,
  // and the retry after a refresh must carry the identical bytes.
  const body = new Uint8Array(await req.arrayBuffer().catch(() => new ArrayBuffer(0)));
  if (body.byteLength > MAX_BODY) {
    return json(413, { success: false, message: "body too large" });
  }
  const result = await performFetch(session.tokens, "/api/user/profile", {
    method: "PATCH",
    body,
    contentType: "application/json",
  });
  return forward(result, await sessionCookieFor(session, result));
}
