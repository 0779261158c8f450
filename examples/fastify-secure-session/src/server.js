'use strict'

const { loadConfig } = require('./config')
const { buildApp } = require('./app')

let config
try {
  config = loadConfig()
} catch (err) {
  console.error(`fastify-secure-session: ${err.message}`)
  process.exit(2)
}

const app = buildApp(config)

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0), () => process.exit(1))
  })
}

app.listen({ port: config.port, host: config.host }).then(
  (address) => console.log(`fastify-secure-session listening on ${address}${config.plantedBug ? ` (PLANTED_BUG=${config.plantedBug})` : ''}`),
  (err) => {
    console.error(`fastify-secure-session: listen: ${err.message}`)
    process.exit(1)
  }
)
