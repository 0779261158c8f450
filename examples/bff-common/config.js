// The environment of contract.md §2 that every app reads the same way. A bad
// value stops the server with the variable's name instead of failing every
// request.

/**
 * readBaseConfig reads BACKEND_URL, PORT, HOST, SESSION_SECRET (a
 * comma-separated list, each at least 32 characters, the first one current),
 * COOKIE_SECURE, BACKEND_TIMEOUT (a Go duration) and PLANTED_BUG (one of
 * plantedBugs, or unset). It throws an Error naming the variable at fault.
 */
export function readBaseConfig(env, { plantedBugs = [] } = {}) {
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
      throw new Error(`SESSION_SECRET: secret ${i + 1} has ${s.length} characters, want at least 32`);
    }
  });
  if (new Set(secrets).size !== secrets.length) {
    throw new Error("SESSION_SECRET: a secret is listed twice");
  }
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
    secrets,
    cookieSecure: (env.COOKIE_SECURE ?? "true").trim().toLowerCase() !== "false",
    // AbortSignal.timeout takes whole milliseconds.
    backendTimeoutMs: Math.ceil(timeout),
    plantedBug,
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
