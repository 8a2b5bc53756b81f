/**
 * A real `redis-server` for the Redis tests: its own process on a free 127.0.0.1 port, no
 * persistence (nothing written to disk), stopped by the test. `stop()`/`start()` and
 * `pause()`/`resume()` play an outage and a Redis too slow to answer.
 *
 * Where `redis-server` is missing, `startRedisServer()` fails with a message naming the Debian
 * package to install; only `AUTHLETE_GUARD_SKIP_REDIS=1` skips these tests (`describeWithRedis`),
 * and CI never sets it (`.ci/run` installs the package).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe } from 'vitest'

/** `AUTHLETE_GUARD_SKIP_REDIS=1`: the only way to skip the Redis tests (never set in CI). */
export const SKIP_REDIS = process.env.AUTHLETE_GUARD_SKIP_REDIS === '1'

/** `describe`, or `describe.skip` when the Redis tests are explicitly skipped. */
export const describeWithRedis: typeof describe = SKIP_REDIS ? (describe.skip as typeof describe) : describe

export const MISSING_REDIS_MESSAGE =
  'redis-server was not found on PATH: the Redis tests run a real one. Install the Debian package ' +
  '`redis-server` (sudo apt-get install redis-server), or set AUTHLETE_GUARD_SKIP_REDIS=1 to skip these tests.'

/** The `redis-server` executable on `path` (a PATH-style list), or `undefined`. */
export function locateRedisServer(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, 'redis-server')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export interface RedisServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  /** Stop the server (SIGTERM; nothing is saved). Clients see the connection close. */
  stop(): Promise<void>
  /** Start it again on the same port, empty. */
  start(): Promise<void>
  /** Freeze the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void
  /** Let a paused server go on (SIGCONT). */
  resume(): void
  /** Stop it for good and remove its working folder. */
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** One PING over a fresh TCP connection: true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/**
 * Start a `redis-server` of its own on a random free 127.0.0.1 port, without persistence, and
 * resolve once it answers PING. `args` are added to its command line (e.g. `--cluster-enabled yes`).
 *
 * @example
 * const redis = await startRedisServer()
 * const client = new Redis(redis.port, '127.0.0.1')
 * afterAll(() => redis.close())
 */
export async function startRedisServer(options: { binary?: string; path?: string; args?: string[] } = {}): Promise<RedisServer> {
  const binary = options.binary ?? locateRedisServer(options.path)
  if (!binary) throw new Error(MISSING_REDIS_MESSAGE)
  const dir = mkdtempSync(join(tmpdir(), 'authlete-guard-redis-'))
  let port = 0
  let child: ChildProcess | undefined
  let output = ''
  const killNow = () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  }
  process.once('exit', killNow)

  async function launch(): Promise<void> {
    output = ''
    const proc = spawn(
      binary!,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning', ...(options.args ?? [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = proc
    proc.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-4000)))
    proc.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-4000)))
    const spawnError = new Promise<never>((_, reject) => proc.once('error', reject))
    spawnError.catch(() => {})
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server exited (${proc.exitCode ?? proc.signalCode}) on port ${port}:\n${output}`)
      const ready = await Promise.race([ping(port), spawnError])
      if (ready) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    killNow()
    throw new Error(`redis-server did not answer PING on 127.0.0.1:${port} within 10 s:\n${output}`)
  }

  async function stop(): Promise<void> {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    proc.kill('SIGCONT')
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  // A port taken between the probe and redis-server's bind: try another one.
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    try {
      await launch()
      break
    } catch (error) {
      await stop()
      if (attempt >= 3 || !/Address already in use/i.test(output)) {
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
    }
  }

  return {
    host: '127.0.0.1',
    get port() {
      return port
    },
    get url() {
      return `redis://127.0.0.1:${port}`
    },
    stop,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return
      await launch()
    },
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
    async close() {
      await stop()
      process.removeListener('exit', killNow)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
