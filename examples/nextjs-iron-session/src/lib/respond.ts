// Building responses for the api routes: status first, then the session
// cookie on that same response.

import type { FetchResult } from "./apiUtils";

export function json(status: number, value: unknown, setCookie?: string, extra?: Record<string, string>): Response {
  const headers = new Headers({ "Content-Type": "application/json", "Cache-Control": "no-store", ...extra });
  if (setCookie) {
    headers.append("Set-Cookie", setCookie);
  }
  return new Response(JSON.stringify(value), { status, headers });
}

/** forward turns a performFetch result into the api route's response. */
export function forward(result: FetchResult, setCookie?: string): Response {
  switch (result.kind) {
    case "unauthenticated":
      return json(401, { success: false, message: "session expired, log in again" }, setCookie);
    case "unavailable":
      return json(
        result.status,
        { success: false, message: "the backend is unavailable, try again" },
        setCookie,
        result.retryAfter ? { "Retry-After": result.retryAfter } : undefined,
      );
    case "answer": {
      const headers = new Headers({
        "Content-Type": result.headers.get("content-type") ?? "application/json",
        "Cache-Control": "no-store",
      });
      const retryAfter = result.headers.get("retry-after");
      if (retryAfter) {
        headers.set("Retry-After", retryAfter);
      }
      if (setCookie) {
        headers.append("Set-Cookie", setCookie);
      }
      // A 5xx of the backend stays a 5xx; other statuses reach the client as they are.
      return new Response(result.body.byteLength > 0 ? result.body : null, { status: result.status, headers });
    }
  }
}

/** wantsHTML tells a browser's form post or navigation from an API client. */
export function wantsHTML(req: Request): boolean {
  const accept = req.headers.get("accept") ?? "";
  return accept.includes("text/html");
}

export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
