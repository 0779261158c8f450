// The environment of contract.md §2, read once at start. A bad value stops
// the server with the variable's name instead of failing every request.

import { createHash } from "node:crypto";

/** The planted bugs this app knows (README.md); none is on by default. */
export const plantedBugs = ["unsaved-rotation", "logout-on-any-error"];

export function readConfig(env) {
  const backendURL = (env.BACKEND_URL ?? "").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/.test(backendURL)) {
    throw new Error(`BACKEND_URL: want an http(s) URL, got ${JSON.stringify(env.BACKEND_URL ?? "")}`);
  }
  const port = Number(env.PORT ?? "3000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT: want a port number, got ${JSON.stringify(env.PORT)}`);
  }
  const secrets = (env.SESSION_SECRET ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (secrets.length === 0) {
    throw new Error("SESSION_SECRET: not set");
  }
  secrets.forEach((s, i) => {
    if (s.length < 32) {
      throw new Error(`SESSION_SECRET: secret ${i + 1} has ${s.length} characters, iron-session wants at least 32`);
    }
  });
  const passwords = passwordMap(secrets);
  const timeout = env.BACKEND_TIMEOUT ? parseGoDuration(env.BACKEND_TIMEOUT) : 5000;
  if (timeout === undefined || timeout <= 0) {
    throw new Error(`BACKEND_TIMEOUT: want a positive Go duration such as "2s" or "1500ms", got ${JSON.stringify(env.BACKEND_TIMEOUT)}`);
  }
  const plantedBug = env.PLANTED_BUG ?? "";
  if (plantedBug !== "" && !plantedBugs.includes(plantedBug)) {
    throw new Error(`PLANTED_BUG: unknown bug ${JSON.stringify(plantedBug)}, want one of ${plantedBugs.join(", ")}`);
  }
  return {
    backendURL,
    port,
    host: env.HOST || "127.0.0.1",
    cookieName: env.COOKIE_NAME || "app_session",
    cookieSecure: (env.COOKIE_SECURE ?? "true").trim().toLowerCase() !== "false",
    // AbortSignal.timeout takes whole milliseconds.
    backendTimeoutMs: Math.ceil(timeout),
    plantedBug,
    passwords,
  };
}

/**
 * passwordMap builds iron-session's password maps from SESSION_SECRET.
 *
 * iron-session writes the id of the password it sealed with into the seal
 * and looks that id up when it unseals, so an id must keep naming the same
 * secret across restarts: "old", then "new,old", then "new". Numbering by
 * position would rename "new" when "old" is dropped, and every cookie sealed
 * under it would stop opening. The id is therefore derived from the secret
 * itself (32 bits of its SHA-256; the seal already names it, so this reveals
 * nothing new). iron-session seals with the highest id of its map, which is
 * not the first secret's, so sealing gets a map of the first secret alone and
 * unsealing a map of them all.
 */
function passwordMap(secrets) {
  const ids = secrets.map((s) => String(parseInt(createHash("sha256").update(s).digest("hex").slice(0, 8), 16)));
  if (new Set(ids).size !== ids.length) {
    throw new Error("SESSION_SECRET: two secrets are equal or share a password id; use distinct secrets");
  }
  return {
    seal: { [ids[0]]: secrets[0] },
    unseal: Object.fromEntries(ids.map((id, i) => [id, secrets[i]])),
  };
}

const unitMs = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * parseGoDuration reads a Go time.Duration string ("2s", "1m30s", "1.5s",
 * "500ms") as milliseconds, or undefined when it is not one. Like Go, it
 * takes "0" without a unit and nothing else without one.
 */
export function parseGoDuration(text) {
  let s = String(text).trim();
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    sign = s[0] === "-" ? -1 : 1;
    s = s.slice(1);
  }
  if (s === "0") {
    return 0;
  }
  if (s === "") {
    return undefined;
  }
  const re = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) {
      return undefined;
    }
    total += parseFloat(m[1]) * unitMs[m[2]];
  }
  return sign * total;
}
