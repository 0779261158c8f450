// Checks the environment once when the server starts, so a missing
// BACKEND_URL or a short SESSION_SECRET stops the process with a reason
// instead of answering 500 to every request.

export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") {
    return;
  }
  const { config } = await import("./lib/config");
  try {
    const cfg = config();
    console.log(
      JSON.stringify({
        msg: "nextjs-iron-session ready",
        backend: cfg.backendURL,
        secrets: Object.keys(cfg.passwords).length,
        cookie_secure: cfg.cookieSecure,
        backend_timeout_ms: cfg.backendTimeoutMs,
        seed_as_written: cfg.seedAsWritten,
        planted_bug: cfg.plantedBug || undefined,
      }),
    );
    if (cfg.plantedBug) {
      console.error(`nextjs-iron-session: PLANTED_BUG=${cfg.plantedBug} is on: this run is deliberately wrong`);
    }
  } catch (err) {
    console.error(`nextjs-iron-session: ${(err as Error).message}`);
    process.exit(2);
  }
}
