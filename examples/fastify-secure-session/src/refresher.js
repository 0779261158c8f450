'use strict'

// One refresh per refresh token. The backend rotates refresh tokens and takes
// a second use of one for theft (it revokes the whole family), so requests of
// one session that meet an expired access token together must share one
// call, and requests that left the browser with the old cookie just before
// the rotation must get the same rotated pair instead of presenting the used
// token again. The session cookie cannot help: each request carries its own
// copy. This map can, within one process; several instances need the
// backend's grace window or a shared lock (docs/scaling.md).

const { createHash } = require('node:crypto')

const REMEMBER_MS = 30_000

function createRefresher (backend) {
  // sha256(refresh token) -> { promise, settledAt }: the call in flight, or
  // its rotated pair for REMEMBER_MS after it. Failures are forgotten at once,
  // so that the next request tries again once the backend recovers.
  const recent = new Map()

  function forgetOld (now) {
    for (const [key, entry] of recent) {
      if (entry.settledAt !== undefined && now - entry.settledAt > REMEMBER_MS) {
        recent.delete(key)
      }
    }
  }

  return function refresh (refreshToken) {
    const now = Date.now()
    forgetOld(now)
    const key = createHash('sha256').update(refreshToken).digest('hex')
    const known = recent.get(key)
    if (known) {
      return known.promise
    }
    const entry = {}
    entry.promise = backend.refresh(refreshToken).then(
      (tokens) => {
        if (tokens) {
          entry.settledAt = Date.now()
        } else {
          recent.delete(key)
        }
        return tokens
      },
      (err) => {
        recent.delete(key)
        throw err
      }
    )
    recent.set(key, entry)
    return entry.promise
  }
}

module.exports = { createRefresher }
