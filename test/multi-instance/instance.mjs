// One API instance in its own process, as deployed: Express or Fastify, the BUILT packages
// imported by name (resolved from test/node_modules), and, in the "redis" mode, the replay store
// and introspection cache in the shared redis-server; in the "memory" mode, each process's own.
//
// Config: env MULTI_INSTANCE = { framework, mode, emu: { url, serviceId, accessToken }, redisPort, publicUrl }.
// IPC: sends { event: 'ready', port }; answers { type: 'stats' } with { redisErrors, storeErrors }
// and { type: 'close' } by closing everything and exiting 0.
// Nothing here handles unhandledRejection or uncaughtException: one would crash the process with a
// non-zero exit and a trace on stderr, which the test checks.
import { Redis } from 'ioredis'
import { createRedisIntrospectionCache, createRedisReplayStore } from '@authlete-guard/redis'

const config = JSON.parse(process.env.MULTI_INSTANCE)
const { framework, mode, emu, redisPort, publicUrl } = config

// Fail fast, as docs/several-instances.md recommends: while Redis is away a command is neither
// queued nor retried (the request is denied at once), and ioredis keeps reconnecting.
let redis
const stats = { redisErrors: 0, storeErrors: 0 }
if (mode === 'redis') {
  redis = new Redis(redisPort, '127.0.0.1', {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 50, 500),
    connectTimeout: 1000,
  })
  redis.on('error', () => stats.redisErrors++)
  await new Promise((resolve, reject) => {
    redis.once('ready', resolve)
    redis.once('end', () => reject(new Error('could not connect to redis')))
  })
}

const guardOptions = {
  authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000 },
  publicUrl,
  cache: mode === 'redis' ? { ttlMs: 60_000, store: createRedisIntrospectionCache(redis) } : { ttlMs: 60_000 },
  ...(mode === 'redis' ? { replay: createRedisReplayStore(redis) } : {}),
  onError: (event) => {
    if (event.error.code === 'ERR_STORE_UNAVAILABLE') stats.storeErrors++
  },
}
const principal = (auth) => ({ sub: auth.subject, source: auth.source, instance: framework })

let port
let close
if (framework === 'express') {
  const { default: express } = await import('express')
  const { createGuard, protect } = await import('@authlete-guard/express')
  const guard = createGuard(guardOptions)
  const app = express()
  app.get('/api/me', protect(guard, { scopes: ['read'] }), (req, res) => res.json(principal(req.auth)))
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  port = server.address().port
  close = async () => {
    server.closeAllConnections?.()
    await new Promise((resolve) => server.close(resolve))
    await guard.close()
  }
} else if (framework === 'fastify') {
  const { default: Fastify } = await import('fastify')
  const { default: authleteGuard, createGuard } = await import('@authlete-guard/fastify')
  const guard = createGuard(guardOptions)
  const app = Fastify({ logger: false })
  await app.register(authleteGuard, { guard })
  app.get('/api/me', { onRequest: app.protect({ scopes: ['read'] }) }, async (request) => principal(request.auth))
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = app.server.address().port
  close = async () => {
    await app.close()
    await guard.close()
  }
} else {
  throw new Error(`unknown framework ${framework}`)
}

process.on('message', async (message) => {
  if (message?.type === 'stats') process.send({ event: 'stats', ...stats })
  if (message?.type === 'close') {
    await close()
    if (redis) await redis.quit().catch(() => redis.disconnect())
    process.send({ event: 'closed' }, () => process.exit(0))
  }
})
process.send({ event: 'ready', port })
