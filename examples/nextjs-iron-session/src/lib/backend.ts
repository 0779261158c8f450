// Calls to the backend of contract.md §1, each bounded by BACKEND_TIMEOUT.

import { config } from "./config";

export interface BackendRequest {
  method: string;
  path: string;
  accessToken?: string;
  /** The body as bytes, kept so that a retry sends exactly what the first attempt sent. */
  body?: Uint8Array<ArrayBuffer>;
  contentType?: string;
}

export type BackendAnswer =
  | { kind: "answer"; status: number; headers: Headers; body: Uint8Array<ArrayBuffer> }
  | { kind: "failed"; reason: "timeout" | "network" };

/** backendCall sends one request and reads the whole answer within the timeout; it never throws. */
export async function backendCall(req: BackendRequest): Promise<BackendAnswer> {
  const cfg = config();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (req.accessToken) {
    headers.Authorization = `Bearer ${req.accessToken}`;
  }
  if (req.body !== undefined) {
    headers["Content-Type"] = req.contentType ?? "application/json";
  }
  const signal = AbortSignal.timeout(cfg.backendTimeoutMs);
  try {
    const res = await fetch(cfg.backendURL + req.path, {
      method: req.method,
      headers,
      body: req.body,
      signal,
      cache: "no-store",
      redirect: "manual",
    });
    const body = new Uint8Array(await res.arrayBuffer());
    return { kind: "answer", status: res.status, headers: res.headers, body };
  } catch (err) {
    const timedOut = signal.aborted || (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"));
    return { kind: "failed", reason: timedOut ? "timeout" : "network" };
  }
}

/** jsonBody encodes a value as a request body. */
export function jsonBody(value: unknown): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** parseJSON decodes an answer's body, or undefined when it is not JSON. */
export function parseJSON(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

/** lookupString follows a dotted path ("data.authorization.access_token") to a non-empty string. */
export function lookupString(doc: unknown, path: string): string | undefined {
  let cur: unknown = doc;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === "string" && cur !== "" ? cur : undefined;
}

/** fingerprint is what a log may show of a token: a short hash, never the token. */
export async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest).slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
}
