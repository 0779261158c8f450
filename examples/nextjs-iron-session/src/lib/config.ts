// Environment of contract.md §2, read once per process.
//
// Everything is read at run time (never inlined at build), so one build serves
// every SESSION_SECRET, BACKEND_URL and mode the suite starts it with.

export interface Config {
  backendURL: string;
  /** iron-session password map: the first secret of SESSION_SECRET gets the highest id, so it seals. */
  passwords: Record<string, string>;
  /** secrets are SESSION_SECRET's secrets, newest first. */
  secrets: string[];
  /** The id sealData uses; a cookie sealed under any other id is resealed. */
  currentPasswordId: string;
  cookieName: string;
  cookieSecure: boolean;
  backendTimeoutMs: number;
  /** SEED_AS_WRITTEN=1: run the seed design's code as written, flaws included. */
  seedAsWritten: boolean;
  /** PLANTED_BUG: one deliberate defect of the fixed code switched on (README.md "Planted bugs"), "" for none. */
  plantedBug: PlantedBug;
  /** Session lifetime in seconds, the refresh token's default life (7 days). */
  sessionTTL: number;
}

/**
 * PLANTED_BUGS are the deliberate defects PLANTED_BUG switches on at run
 * time, so that one build serves them all: each is a mistake Next.js code
 * makes, and each must fail its scenario (examples/nextjs_test.go).
 */
export const PLANTED_BUGS = ["bare-rotated-cookie", "forgotten-refresh"] as const;

export type PlantedBug = (typeof PLANTED_BUGS)[number] | "";

let cached: Config | undefined;

/** config returns the process's configuration and throws with a reason when the environment is unusable. */
export function config(): Config {
  cached ??= readConfig(process.env);
  return cached;
}

export function readConfig(env: NodeJS.ProcessEnv): Config {
  const backendURL = (env.BACKEND_URL ?? "").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(backendURL)) {
    throw new Error(`BACKEND_URL: want an http(s) URL, got ${JSON.stringify(env.BACKEND_URL ?? "")}`);
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
  // iron-session seals with the highest numeric id and unseals with the id
  // written into the seal, so "new,old" becomes {2: new, 1: old}.
  const passwords: Record<string, string> = {};
  secrets.forEach((s, i) => {
    passwords[String(secrets.length - i)] = s;
  });
  const timeout = env.BACKEND_TIMEOUT ? parseGoDuration(env.BACKEND_TIMEOUT) : 5000;
  if (timeout === undefined || timeout <= 0) {
    throw new Error(`BACKEND_TIMEOUT: want a duration such as "2s", got ${JSON.stringify(env.BACKEND_TIMEOUT)}`);
  }
  const plantedBug = (env.PLANTED_BUG ?? "").trim();
  if (plantedBug !== "" && !(PLANTED_BUGS as readonly string[]).includes(plantedBug)) {
    throw new Error(`PLANTED_BUG: unknown bug ${JSON.stringify(plantedBug)} (known: ${PLANTED_BUGS.join(", ")})`);
  }
  return {
    backendURL,
    passwords,
    secrets,
    currentPasswordId: String(secrets.length),
    cookieName: env.COOKIE_NAME || "session",
    cookieSecure: (env.COOKIE_SECURE ?? "true").toLowerCase() !== "false",
    backendTimeoutMs: timeout,
    seedAsWritten: env.SEED_AS_WRITTEN === "1" || env.SEED_AS_WRITTEN === "true",
    plantedBug: plantedBug as PlantedBug,
    sessionTTL: 7 * 24 * 3600,
  };
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseGoDuration reads a Go time.Duration string ("2s", "1m30s", "500ms") as milliseconds. */
export function parseGoDuration(s: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  const text = s.trim();
  if (text === "" || text === "0") {
    return text === "0" ? 0 : undefined;
  }
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) {
      return undefined;
    }
    total += parseFloat(m[1]) * unitMs[m[2]];
    pos = re.lastIndex;
  }
  return total;
}
