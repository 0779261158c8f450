'use strict'

// The pattern on Fastify: @fastify/secure-session seals the tokens into the
// session cookie with libsodium (the cookie is the session; nothing is kept
// on the server), @fastify/csrf-protection keeps its secret in that same
// session and guards the login and logout forms, and every backend call goes
// through callBackend, which refreshes once on a 401 and saves the rotated
// tokens with session.set so that the plugin seals a new cookie.

const Fastify = require('fastify')
const { createBackend, BackendError } = require('./backend')
const { createRefresher } = require('./refresher')
const { loginPage, profilePage, errorPage } = require('./pages')

const WEEK = 7 * 24 * 60 * 60

// SessionEnded: the session holds no tokens, or the backend refused them;
// pages redirect to /login and api routes answer 401, the cookie cleared.
class SessionEnded extends Error {}

function buildApp (config) {
  const bug = config.plantedBug
  const app = Fastify({
    logger: { level: process.env.LOG_LEVEL ?? 'warn' },
    // Deployed behind a TLS-terminating proxy: its X-Forwarded-Proto tells
    // the cookie plugin (secure: 'auto') that the browser spoke https.
    // PLANTED_BUG=untrusted-proxy forgets it, as Fastify's default does.
    trustProxy: bug !== 'untrusted-proxy'
  })
  const backend = createBackend({ baseUrl: config.backendUrl, timeoutMs: config.backendTimeoutMs })
  const refresh = createRefresher(backend)

  // Every answer carries the user's data or the session cookie: no cache
  // may keep it (a shared one would hand it to the next visitor).
  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  app.register(require('@fastify/formbody'))
  app.register(require('@fastify/secure-session'), {
    cookieName: 'session',
    key: config.sessionKeys, // the first seals; a cookie sealed with another is resealed with it
    expiry: WEEK, // the refresh token's life; the default day would end sessions early
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: config.cookieSecure ? 'auto' : false,
      maxAge: WEEK
    }
  })
  app.register(require('@fastify/csrf-protection'), {
    sessionPlugin: '@fastify/secure-session',
    // the forms send it as a field; the body is parsed by then (preHandler)
    getToken: (request) => request.body?._csrf ?? request.headers['x-csrf-token']
  })
  // The routes are a plugin of their own, registered after the others, so
  // that app.csrfProtection exists when they name it: at the top level it
  // would still be undefined, and the login would go unprotected.
  app.register(routes)

  return app

  async function routes (app) {
    // callBackend calls a protected backend route with the session's access
    // token; on a 401 it refreshes once (shared with every request holding
    // the same refresh token), saves the rotated pair and retries once with
    // the same method and body.
    async function callBackend (request, method, path, body) {
      const tokens = request.session.get('tokens')
      if (!tokens) {
        throw new SessionEnded('no session')
      }
      const first = await backend.resource(method, path, tokens.access, body)
      if (first.status !== 401) {
        return first
      }
      const rotated = await refresh(tokens.refresh)
      if (!rotated) {
        throw new SessionEnded('the backend refused the refresh token')
      }
      if (bug === 'mutated-session') {
        // Changes the object the session handed out; secure-session only
        // seals a cookie after set() or touch(), so none is sent.
        Object.assign(tokens, rotated)
      } else {
        request.session.set('tokens', rotated)
      }
      const retry = await backend.resource(method, path, rotated.access, body)
      if (retry.status === 401) {
        throw new SessionEnded('the backend refused the refreshed access token')
      }
      return retry
    }

    // A resource's 5xx is the backend's fault: the client gets a 502. Its
    // 403, 404 and 429 reach the client as they are, and end no session.
    function passThrough (res) {
      if (res.status >= 500) {
        throw new BackendError(`backend answered ${res.status}`, 502)
      }
      return res
    }

    app.setErrorHandler((err, request, reply) => {
      const page = request.routeOptions.config?.page === true
      if (err instanceof SessionEnded) {
        request.session.delete()
        return page
          ? reply.redirect('/login', 303)
          : reply.code(401).send({ success: false, error: 'unauthenticated', message: err.message })
      }
      if (err instanceof BackendError) {
        request.log.warn({ err: err.message }, 'backend call failed, session kept')
        if (err.retryAfter) {
          reply.header('retry-after', err.retryAfter)
        }
        return page
          ? reply.code(err.status).type('text/html').send(errorPage(err.status, 'The service is unavailable, try again in a moment.'))
          : reply.code(err.status).send({ success: false, error: 'backend_unavailable', message: err.message })
      }
      // Fastify's own 4xx (a failed schema, an unknown body type, a CSRF
      // token that does not match) keep their status, with a JSON reason.
      if (err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(err.statusCode).send({ success: false, error: err.code ?? 'bad_request', message: err.message })
      }
      request.log.error(err)
      return reply.code(500).send({ success: false, error: 'internal_error' })
    })

    const isForm = (request) => request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')

    app.get('/login', { config: { page: true } }, async (request, reply) => {
      return reply.type('text/html').send(loginPage({ csrfToken: reply.generateCsrf() }))
    })

    app.post('/login', {
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          properties: {
            email: { type: 'string', minLength: 1 },
            password: { type: 'string', minLength: 1 },
            _csrf: { type: 'string' }
          }
        }
      },
      preHandler: app.csrfProtection
    }, async (request, reply) => {
      const { email, password } = request.body
      const login = await backend.login(email, password)
      if (!login) {
        if (isForm(request)) {
          return reply.code(401).type('text/html').send(loginPage({ csrfToken: reply.generateCsrf(), error: 'Wrong email or password.' }))
        }
        return reply.code(401).send({ success: false, error: 'invalid_credentials' })
      }
      // A new session: the pre-login CSRF secret and anything else go.
      request.session.regenerate()
      request.session.set('tokens', login.tokens)
      if (isForm(request)) {
        return reply.redirect('/profile', 303)
      }
      return { success: true, user: login.user }
    })

    app.get('/profile', { config: { page: true } }, async (request, reply) => {
      const res = passThrough(await callBackend(request, 'GET', '/api/user/me'))
      if (res.status !== 200) {
        return reply.code(res.status).type('text/html').send(errorPage(res.status, 'Your profile could not be loaded.'))
      }
      if (typeof res.json?.data?.firstName !== 'string') {
        throw new BackendError('GET /api/user/me: 200 without a user', 502)
      }
      return reply.type('text/html').send(profilePage({ user: res.json.data, csrfToken: reply.generateCsrf() }))
    })

    app.get('/api/me', async (request, reply) => {
      const res = passThrough(await callBackend(request, 'GET', '/api/user/me'))
      return reply.code(res.status).type('application/json').send(res.text)
    })

    app.patch('/api/profile', { schema: { body: { type: 'object' } } }, async (request, reply) => {
      const res = passThrough(await callBackend(request, 'PATCH', '/api/user/profile', request.body))
      return reply.code(res.status).type('application/json').send(res.text)
    })

    app.post('/logout', { preHandler: app.csrfProtection }, async (request, reply) => {
      const tokens = request.session.get('tokens')
      if (tokens) {
        try {
          await backend.logout(tokens.refresh)
        } catch (err) {
          // The cookie goes all the same; the family then lives until it expires.
          request.log.warn({ err: err.message }, 'backend logout failed')
        }
      }
      request.session.delete()
      if (isForm(request)) {
        return reply.redirect('/login', 303)
      }
      return { success: true }
    })
  }
}

module.exports = { buildApp }
