'use strict'

// Settings come from the environment, as contract.md §2 names them. A bad
// value stops the app at start with a message naming the variable, rather
// than a session that silently cannot be opened later.

const { hkdfSync } = require('node:crypto')

const PLANTED_BUGS = new Set(['', 'mutated-session', 'untrusted-proxy'])

function loadConfig (env = process.env) {
  const backendUrl = required(env, 'BACKEND_URL').replace(/\/+$/, '')
  try {
    // eslint-disable-next-line no-new
    new URL(backendUrl)
  } catch {
    throw new Error(`BACKEND_URL: not a URL: ${JSON.stringify(backendUrl)}`)
  }

  const port = Number(env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT: not a port number: ${JSON.stringify(env.PORT)}`)
  }

  // Whole milliseconds: the refreshspec profile says
  // target.backend_timeout_format: ms, so no unit needs parsing here.
  const backendTimeoutMs = Number(env.BACKEND_TIMEOUT ?? 5000)
  if (!Number.isInteger(backendTimeoutMs) || backendTimeoutMs <= 0) {
    throw new Error(`BACKEND_TIMEOUT: want whole milliseconds (2000), got ${JSON.stringify(env.BACKEND_TIMEOUT)}`)
  }

  const plantedBug = env.PLANTED_BUG ?? ''
  if (!PLANTED_BUGS.has(plantedBug)) {
    throw new Error(`PLANTED_BUG: unknown bug ${JSON.stringify(plantedBug)} (known: ${[...PLANTED_BUGS].filter(Boolean).join(', ')})`)
  }

  return {
    backendUrl,
    port,
    host: env.HOST ?? '127.0.0.1',
    sessionKeys: sessionKeys(required(env, 'SESSION_SECRET')),
    cookieSecure: env.COOKIE_SECURE !== 'false',
    backendTimeoutMs,
    plantedBug
  }
}

// sessionKeys turns SESSION_SECRET (a comma-separated list: the first seals,
// all unseal) into the 32-byte libsodium keys @fastify/secure-session takes
// as its `key` array, which is how it rotates keys. Its `secret` option
// derives one key with crypto_pwhash (a second and 256 MiB per secret at
// start, and no rotation), so each secret goes through HKDF instead: the
// secrets are random and long already, they need shaping, not stretching.
function sessionKeys (secrets) {
  return secrets.split(',').map((secret, i) => {
    secret = secret.trim()
    if (secret.length < 32) {
      throw new Error(`SESSION_SECRET: secret ${i + 1} has ${secret.length} characters, want at least 32`)
    }
    return Buffer.from(hkdfSync('sha256', secret, 'refreshspec-fastify-secure-session', 'session cookie key', 32))
  })
}

function required (env, name) {
  const value = env[name]
  if (!value) {
    throw new Error(`${name}: not set`)
  }
  return value
}

module.exports = { loadConfig }
