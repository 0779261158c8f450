// This app's environment: contract.md §2's variables (readBaseConfig) and
// CSRF_PROTECTION.

import { readBaseConfig } from "refreshspec-example-bff-common";

/** The planted bugs this app knows (README.md); none is on by default. */
export const plantedBugs = ["unshared-refresh", "logout-skips-backend"];

export function readConfig(env) {
  const base = readBaseConfig(env, { plantedBugs });
  const csrf = (env.CSRF_PROTECTION ?? "on").trim().toLowerCase();
  if (csrf !== "on" && csrf !== "off") {
    throw new Error(`CSRF_PROTECTION: want on or off, got ${JSON.stringify(env.CSRF_PROTECTION)}`);
  }
  return { ...base, csrfProtection: csrf === "on" };
}
