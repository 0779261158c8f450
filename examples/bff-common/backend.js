// Calls to the backend of contract.md §1, each bounded by BACKEND_TIMEOUT.
// A call never throws: a timeout or a dropped connection is an outcome the
// caller turns into a 502/504, not an exception that ends the session.

export function backendClient(cfg) {
  return async function call({ method, path, accessToken, body, contentType }) {
    const headers = { Accept: "application/json" };
    if (accessToken) {
      headers.Authorization = `Bearer ${accessToken}`;
    }
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
    }
    const signal = AbortSignal.timeout(cfg.backendTimeoutMs);
    try {
      const res = await fetch(cfg.backendURL + path, { method, headers, body, signal, redirect: "manual" });
      // The timeout covers the body too: a backend that stalls mid-answer is a timeout.
      const bytes = Buffer.from(await res.arrayBuffer());
      return { ok: true, status: res.status, headers: res.headers, body: bytes };
    } catch (err) {
      const timedOut = signal.aborted || err?.name === "TimeoutError" || err?.name === "AbortError";
      return { ok: false, reason: timedOut ? "timeout" : "network" };
    }
  };
}

export function jsonBody(value) {
  return Buffer.from(JSON.stringify(value));
}

export function parseJSON(bytes) {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** str follows a dotted path to a non-empty string, or undefined. */
export function str(doc, path) {
  let cur = doc;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) {
      return undefined;
    }
    cur = cur[key];
  }
  return typeof cur === "string" && cur !== "" ? cur : undefined;
}

/** fingerprint is what a log may show of a token: 8 hex digits of its SHA-256. */
export async function fingerprint(token) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Buffer.from(digest).subarray(0, 4).toString("hex");
}
