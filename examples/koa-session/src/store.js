// koa-session's external stores (its README: `store: { get, set, destroy }`):
// memoryStore, in this process's memory (one instance, sessions lost on a
// restart), and fileStore, one file per session (one instance, sessions
// kept across a restart).
// The cookie then holds only the session id (koa-session's genid, a random
// UUID), signed with app.keys in a companion `.sig` cookie; the tokens never
// leave the server.

import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export function memoryStore() {
  const sessions = new Map();

  function sweep(now) {
    for (const [key, entry] of sessions) {
      if (entry.until <= now) {
        sessions.delete(key);
      }
    }
  }

  return {
    async get(key) {
      sweep(Date.now());
      return sessions.get(key)?.sess;
    },
    async set(key, sess, maxAge) {
      sessions.set(key, { sess, until: Date.now() + maxAge });
    },
    async destroy(key) {
      sessions.delete(key);
    },
  };
}

/**
 * fileStore keeps each session in a JSON file of dir, named by its id, so
 * that sessions survive a restart of this one instance (what P8.2 and P8.3
 * need to show a change of SESSION_SECRET). Each write goes to a temporary
 * file renamed into place, so a reader never sees half a session.
 */
export function fileStore(dir) {
  mkdirSync(dir, { recursive: true });
  const file = (key) => join(dir, `${key.replace(/[^A-Za-z0-9-]/g, "_")}.json`);

  return {
    async get(key) {
      let entry;
      try {
        entry = JSON.parse(await readFile(file(key), "utf8"));
      } catch {
        return undefined;
      }
      if (!(entry.until > Date.now())) {
        await rm(file(key), { force: true });
        return undefined;
      }
      return entry.sess;
    },
    async set(key, sess, maxAge) {
      const tmp = `${file(key)}.${randomUUID()}.tmp`;
      await writeFile(tmp, JSON.stringify({ sess, until: Date.now() + maxAge }), { mode: 0o600 });
      await rename(tmp, file(key));
    },
    async destroy(key) {
      await rm(file(key), { force: true });
    },
  };
}
