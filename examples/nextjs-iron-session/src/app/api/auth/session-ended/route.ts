// Where the middleware sends a /profile request whose session cannot be
// recovered: clear the cookie and redirect to /login. It is a route handler
// (reached by an internal rewrite) only because middleware must give an
// absolute Location, and Next.js spells the request's host "localhost" there
// whatever the client used; this answer carries the relative "/login".

import { clearSessionCookie } from "@/lib/session";

export const dynamic = "force-dynamic";

export function GET(): Response {
  const headers = new Headers({ Location: "/login", "Cache-Control": "no-store" });
  headers.append("Set-Cookie", clearSessionCookie());
  return new Response(null, { status: 303, headers });
}
