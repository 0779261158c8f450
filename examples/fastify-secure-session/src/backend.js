'use strict'

// The backend of contract.md §1, over Node's own fetch. Every call is bounded
// by BACKEND_TIMEOUT; the answers are sorted into what the routes act on, so
// that no route has to tell a refused token from a backend that stumbled.

class BackendError extends Error {
  // status is what the client gets: 502 for a failure or a malformed answer,
  // 503 (with retryAfter) for a 429, 504 for a timeout.
  constructor (message, status, retryAfter) {
    super(message)
    this.status = status
    this.retryAfter = retryAfter
  }
}

function createBackend ({ baseUrl, timeoutMs }) {
  async function call (method, path, { token, body } = {}) {
    const headers = { accept: 'application/json' }
    if (token) {
      headers.authorization = `Bearer ${token}`
    }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
    }
    let res
    try {
      res = await fetch(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (err) {
      if (err.name === 'TimeoutError') {
        throw new BackendError(`${method} ${path}: no answer within ${timeoutMs} ms`, 504)
      }
      throw new BackendError(`${method} ${path}: ${err.cause?.code ?? err.message}`, 502)
    }
    let text
    try {
      text = await res.text()
    } catch (err) {
      throw new BackendError(`${method} ${path}: reading the answer: ${err.message}`, 502)
    }
    return { status: res.status, headers: res.headers, text, json: parseJSON(text) }
  }

  return {
    // login answers { tokens, user } or null for refused credentials.
    async login (email, password) {
      const res = await call('POST', '/auth/login', { body: { email, password } })
      if (res.status === 401 || res.status === 400) {
        return null
      }
      if (res.status !== 200) {
        throw new BackendError(`POST /auth/login: status ${res.status}`, 502)
      }
      return { tokens: tokensOf(res, '/auth/login'), user: res.json.data.user }
    },

    // refresh answers the rotated tokens, or null when the backend refused
    // the refresh token (invalid_grant: the session is over). Anything else
    // that goes wrong is a BackendError: the session stays as it was.
    async refresh (refreshToken) {
      const res = await call('POST', '/auth/refresh', { body: { refresh_token: refreshToken } })
      if (res.status === 401 || res.status === 400) {
        return null
      }
      if (res.status === 429) {
        throw new BackendError('POST /auth/refresh: rate limited', 503, res.headers.get('retry-after') ?? '1')
      }
      if (res.status !== 200) {
        throw new BackendError(`POST /auth/refresh: status ${res.status}`, 502)
      }
      return tokensOf(res, '/auth/refresh')
    },

    async logout (refreshToken) {
      await call('POST', '/auth/logout', { body: { refresh_token: refreshToken } })
    },

    // resource calls a protected route with the access token and returns
    // the answer as it came: the caller decides what a 401 means.
    resource (method, path, accessToken, body) {
      return call(method, path, { token: accessToken, body })
    }
  }
}

// tokensOf reads both tokens of a login or refresh answer, or throws: a 200
// without two non-empty tokens (or with success:false) is a backend fault,
// never a reason to store empty tokens.
function tokensOf (res, path) {
  const auth = res.json?.data?.authorization
  const access = auth?.access_token
  const refresh = auth?.refresh_token
  if (res.json?.success !== true || typeof access !== 'string' || typeof refresh !== 'string' || !access || !refresh) {
    throw new BackendError(`POST ${path}: 200 without two tokens`, 502)
  }
  return { access, refresh }
}

function parseJSON (text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

module.exports = { createBackend, BackendError }
