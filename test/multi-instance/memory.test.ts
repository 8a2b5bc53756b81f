/**
 * `memory.mjs` (the Redis memory figures of docs/several-instances.md) measures the keys a guard
 * really writes: a guard's allowed DPoP request through the Redis stores gives the sample, and the
 * keys the script then writes in bulk have the same shape: the cache key
 * `<prefix><service hash> <token hash> DPoP <thumbprint>`, the replay proof
 * `<prefix>{<service hash>.<thumbprint>}:<hash>` with its owner's set `<prefix>{<service hash>.<thumbprint>}`.
 * Runs the script as a user does (built packages, its own redis-server), with 2,000 entries.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { describeWithRedis } from '../support/redis'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = fileURLToPath(new URL('../..', import.meta.url))
const CACHE_PREFIX = 'authlete-guard:cache:'
const REPLAY_PREFIX = 'authlete-guard:replay:'
const HASH = '[A-Za-z0-9_-]{43}'

interface Row {
  label: string
  entries: number
  bytesPerEntry: number
  proofsPerKey?: number
}
interface Output {
  guardKeys: { cache: string; replayProof: string; replayOwner: string }
  writtenKeys: { cache: string; replay: { replayProof: string; replayOwner: string } }
  rows: Row[]
}

/** The parts of a cache key: service hash, token hash, scheme, thumbprint. */
function cacheFields(key: string): string[] {
  expect(key.startsWith(CACHE_PREFIX), key).toBe(true)
  return key.slice(CACHE_PREFIX.length).split(' ')
}

describeWithRedis('test/multi-instance/memory.mjs', () => {
  it('measures keys shaped like the guard\'s: the service hash first, the thumbprint last, replay proofs under their owner', async () => {
    const missing = ['core', 'emulator', 'redis'].filter((name) => !existsSync(join(root, 'packages', name, 'dist', 'index.js')))
    expect(missing, 'memory.mjs runs the built packages: run `pnpm build` first').toEqual([])
    const { stdout } = await promisify(execFile)(process.execPath, [join(here, 'memory.mjs'), '2000'], { cwd: root, timeout: 120_000, env: { ...process.env, SHOW_SAMPLE: '' } })
    const output = JSON.parse(stdout) as Output

    const [service, tokenHash, scheme, jkt] = cacheFields(output.guardKeys.cache)
    expect(output.guardKeys.cache).toMatch(new RegExp(`^${CACHE_PREFIX}${HASH} ${HASH} DPoP ${HASH}$`))
    const written = cacheFields(output.writtenKeys.cache)
    expect(written).toHaveLength(4)
    expect([written[0], written[2], written[3]]).toEqual([service, scheme, jkt])
    expect(written[1]).toMatch(new RegExp(`^${HASH}$`))
    expect(written[1]).not.toBe(tokenHash)

    const owner = `${REPLAY_PREFIX}{${service}.${jkt}}`
    expect(output.guardKeys.replayOwner).toBe(owner)
    expect(output.guardKeys.replayProof).toMatch(new RegExp(`^${escape(owner)}:${HASH}$`))
    const { replayOwner, replayProof } = output.writtenKeys.replay
    expect(replayOwner).toMatch(new RegExp(`^${escape(`${REPLAY_PREFIX}{${service}.`)}${HASH}\\}$`))
    expect(replayProof).toMatch(new RegExp(`^${escape(replayOwner)}:${HASH}$`))

    expect(output.rows.map((row) => [row.entries, row.proofsPerKey])).toEqual([[2000, 10], [2000, 2000], [2000, undefined]])
    for (const row of output.rows) expect(row.bytesPerEntry, row.label).toBeGreaterThan(100)
    for (const row of output.rows) expect(row.bytesPerEntry, row.label).toBeLessThan(4000)
  }, 150_000)
})

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
