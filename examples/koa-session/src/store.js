// koa-session's external store (its README: `store: { get, set, destroy }`),
// kept in this process's memory: one instance, sessions lost on a restart.
// The cookie then holds only the session id (koa-session's genid, a random
// UUID), signed with app.keys in a companion `.sig` cookie; the tokens never
// leave the server.

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
