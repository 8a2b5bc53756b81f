// Issue 19, point 12: denials visible without code. With NODE_DEBUG=authlete-guard (also in a
// comma-separated list, or matched by a `*` pattern, as util.debuglog reads it) every denial writes
// exactly one line to stderr: method, path (no query), status, error and the operator reason
// (htu expected/actual, Authlete's result code), never the token or the proof. Without the
// variable, nothing. From the root entry (how Hono and Next run it) and from /node, on the guard's
// fast path and on its traced path (onDecision).
//
// NODE_DEBUG is read when a process starts, so each case is a child process. Children cannot use
// vitest's aliases to the sources: the test bundles the two entries from the sources (tsup, CJS,
// dependencies included) into a temporary directory first, so it always runs the current code.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const CORE = fileURLToPath(new URL('..', import.meta.url))
const CHILD = fileURLToPath(new URL('./support/debug-child.cjs', import.meta.url))
const EXPECTED_HTU = 'https://api.example.com/api/me'
const WRONG_HTU = 'http://internal.example:3000/api/me'
/** Bounded: a child that hangs is killed and fails its test. */
const CHILD_TIMEOUT_MS = 15_000

let out: string
let emu: Emulator
let key: DpopKeyPair
let token: string

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'authlete-guard-debug-'))
  await build({
    entry: { root: join(CORE, 'src/index.ts'), node: join(CORE, 'src/node/index.ts') },
    format: ['cjs'],
    outDir: out,
    outExtension: () => ({ js: '.cjs' }),
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    clean: false,
    silent: true,
  })
  emu = await startEmulator()
  key = await createDpopKeyPair('ES256')
  token = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken
}, 60_000)
afterAll(async () => {
  await emu?.close()
  if (out) await rm(out, { recursive: true, force: true })
})

interface Run {
  statuses: unknown
  stderr: string
  wrongProof: string
  rightProof: string
  unknownToken: string
}

/** One child: fresh proofs, the given NODE_DEBUG (or none), the entry's bundle. */
async function runChild(entry: 'root' | 'node', nodeDebug: string | undefined, traced = false): Promise<Run> {
  const wrongProof = await createDpopProof(key, { htm: 'GET', htu: WRONG_HTU, accessToken: token })
  const rightProof = await createDpopProof(key, { htm: 'GET', htu: EXPECTED_HTU, accessToken: token })
  const unknownToken = `unknown-${crypto.randomUUID()}`
  const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', NODE_DEBUG: nodeDebug }
  if (nodeDebug === undefined) delete env.NODE_DEBUG
  env.DEBUG_CHILD = JSON.stringify({
    bundle: join(out, `${entry}.cjs`),
    traced,
    fetchRequest: entry === 'root',
    emu: { url: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken },
    token,
    wrongProof,
    rightProof,
    unknownToken,
  })
  const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  expect(code, `child failed: ${stdout} ${stderr}`).toBe(0)
  return { statuses: JSON.parse(stdout), stderr, wrongProof, rightProof, unknownToken }
}

/** The run's stderr never holds the token, a proof, the query or the service's credential. */
function expectNoSecrets(run: Run) {
  for (const secret of [token, run.wrongProof, run.rightProof, run.unknownToken, 'query-secret', emu.accessToken]) expect(run.stderr).not.toContain(secret)
  // Not even a proof's parts (its header or claims segment).
  for (const segment of run.wrongProof.split('.')) expect(run.stderr).not.toContain(segment)
}

describe.each([
  { entry: 'root', traced: false },
  { entry: 'root', traced: true },
  { entry: 'node', traced: false },
  { entry: 'node', traced: true },
] as const)('$entry entry, traced: $traced', ({ entry, traced }) => {
  it('NODE_DEBUG=authlete-guard: one stderr line per denial, with status, reason, method and path', async () => {
    const run = await runChild(entry, 'authlete-guard', traced)
    expect(run.statuses).toEqual([401, 200, 401])
    const lines = run.stderr.split('\n').filter((line) => line !== '')
    expect(lines, run.stderr).toHaveLength(2)
    const [htu, authlete] = lines as [string, string]
    expect(htu).toMatch(/^AUTHLETE-GUARD \d+: denied GET \/api\/me 401 invalid_dpop_proof reason=/)
    expect(JSON.parse(htu.split(' reason=')[1]!)).toEqual({ check: 'htu', expected: EXPECTED_HTU, actual: WRONG_HTU })
    expect(authlete).toMatch(/^AUTHLETE-GUARD \d+: denied GET \/api\/me 401 invalid_token reason=\{"check":"authlete","resultCode":"A\d+"/)
    expectNoSecrets(run)
  }, 30_000)

  it('without NODE_DEBUG: stderr stays empty', async () => {
    const run = await runChild(entry, undefined, traced)
    expect(run.statuses).toEqual([401, 200, 401])
    expect(run.stderr).toBe('')
  }, 30_000)
})

describe('NODE_DEBUG is read as util.debuglog reads it', () => {
  it.each([
    ['a comma-separated list', 'http2,authlete-guard'],
    ['a * pattern', 'authlete-*'],
  ])('%s (%s) enables the lines', async (_name, nodeDebug) => {
    const run = await runChild('root', nodeDebug)
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('AUTHLETE-GUARD '))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('"check":"htu"')
    expectNoSecrets(run)
  }, 30_000)

  it('another section alone (NODE_DEBUG=authlete) enables nothing', async () => {
    const run = await runChild('node', 'authlete')
    expect(run.stderr).toBe('')
  }, 30_000)
})
