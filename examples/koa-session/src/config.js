// This app's environment: contract.md §2's variables (readBaseConfig).

import { readBaseConfig } from "refreshspec-example-bff-common";

/** The planted bugs this app knows (README.md); none is on by default. */
export const plantedBugs = ["unshared-refresh", "retry-drops-body", "logout-only-on-200", "default-resign", "keeps-session-id-at-login"];

/** readConfig adds SESSION_STORE_DIR: where a file per session is kept (unset: in memory). */
export function readConfig(env) {
  return { ...readBaseConfig(env, { plantedBugs }), storeDir: env.SESSION_STORE_DIR || undefined };
}
