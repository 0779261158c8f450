// This app's environment: contract.md §2's variables (readBaseConfig) and
// iron-session's password maps built from SESSION_SECRET.

import { createHash } from "node:crypto";
import { readBaseConfig } from "refreshspec-example-bff-common";

/** The planted bugs this app knows (README.md); none is on by default. */
export const plantedBugs = ["unsaved-rotation", "logout-on-any-error"];

export function readConfig(env) {
  const base = readBaseConfig(env, { plantedBugs });
  return {
    ...base,
    cookieName: env.COOKIE_NAME || "app_session",
    passwords: passwordMaps(base.secrets),
  };
}

/**
 * passwordMaps builds iron-session's password maps from SESSION_SECRET.
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
function passwordMaps(secrets) {
  const ids = secrets.map((s) => String(parseInt(createHash("sha256").update(s).digest("hex").slice(0, 8), 16)));
  if (new Set(ids).size !== ids.length) {
    throw new Error("SESSION_SECRET: two secrets share a password id; replace one of them");
  }
  return {
    seal: { [ids[0]]: secrets[0] },
    unseal: Object.fromEntries(ids.map((id, i) => [id, secrets[i]])),
  };
}
