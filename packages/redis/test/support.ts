import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test/support/redis'

/**
 * Fail-fast client settings, as docs/several-instances.md recommends: one try per command, no
 * queueing while disconnected, quick reconnects.
 */
export const FAIL_FAST: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  retryStrategy: () => 100,
  lazyConnect: false,
}

/** One real redis-server for the file, and the clients the tests opened (closed after the file). */
export function useRedis() {
  const state = { server: undefined as unknown as RedisServer, clients: [] as Redis[] }
  beforeAll(async () => {
    state.server = await startRedisServer()
  })
  afterAll(async () => {
    for (const client of state.clients) client.disconnect()
    await state.server?.close()
  })
  return {
    get server() {
      return state.server
    },
    /** A connected client; `options` on top of the fail-fast ones. */
    async client(options: RedisOptions = {}): Promise<Redis> {
      const client = new Redis(state.server.port, '127.0.0.1', { ...FAIL_FAST, ...options })
      client.on('error', () => {}) // reconnect noise while a test stops the server
      state.clients.push(client)
      if (client.status !== 'ready') await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve())
        client.once('end', () => reject(new Error('the client could not connect')))
      })
      return client
    },
  }
}

/** Resolve once `client` is ready again (after a restart of the server). */
export function ready(client: Redis, withinMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`client not ready within ${withinMs} ms (${client.status})`)), withinMs)
    client.once('ready', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Resolve once `client` has seen its connection go (after a stop of the server). */
export function disconnected(client: Redis, withinMs = 10_000): Promise<void> {
  if (client.status !== 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`client still connected after ${withinMs} ms`)), withinMs)
    client.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Time a promise's settling, ms. */
export async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const started = performance.now()
  try {
    const value = await promise
    return { ms: performance.now() - started, value }
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error }
  }
}
