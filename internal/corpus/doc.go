// Package corpus runs refreshspec against the real applications in examples/,
// which follow the pattern on real session libraries, the way a team would in
// CI; a test package per app (expresstest, fastifytest, goscstest,
// koatest, nextjstest) keeps each one's run apart and short. They are the suite's own
// check on code it was not written with: every verdict on them is either right or explained.
//
//   - nextjs-iron-session/: Next.js (App Router) with iron-session's
//     sealData/unsealData; its README explains the design and shows, scenario
//     by scenario, what the seed design's code as written fails.
//   - express-iron-session/: Express 5 with stock getIronSession, the
//     sealed-cookie model, key rotation through iron-session's password map.
//   - express-session/: Express 5 with express-session, the server-side
//     model (the cookie holds a signed session id), csrf-sync on the login
//     form, behind a TLS-terminating proxy (trust proxy).
//   - fastify-secure-session/: Fastify 5 with @fastify/secure-session, the
//     sealed-cookie model on libsodium, and @fastify/csrf-protection keeping
//     its secret in that sealed session, behind a TLS-terminating proxy
//     (trustProxy).
//   - koa-session/: Koa 3 with koa-session and an external store (a file
//     per session, so that P8.2 and P8.3 run), the server-side model: the
//     cookie koa.sess holds a session id, signed with app.keys (keygrip) in
//     its companion koa.sess.sig, behind a TLS-terminating proxy
//     (app.proxy).
//   - bff-common/: what the Express and Koa apps share, none of it session
//     code (the Koa app answers on its own ctx).
//   - go-scs/: Go's net/http with alexedwards/scs, a server-side session
//     whose cookie is a random token sealed with no secret, gorilla/csrf on
//     its forms; a Go module of its own, so that this one does not grow.
//
// Every app has planted bugs (PLANTED_BUG=name, read at run time, so the
// Next.js app's one build serves them all) with the scenario that must
// catch each.
// TestNextJSIronSession, TestExpressExamples, TestGoSCSExample,
// TestFastifyExample and TestKoaExample run them; each app's README has its verdict table, and the tests list the
// scenarios a correct app may fail (a SHOULD its library misses, or a check
// still stricter than its text) and must skip, each with its reason.
package corpus
