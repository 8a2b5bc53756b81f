// `pnpm pack:all` as docs/install-from-tarballs.md uses it: one tarball per publishable package in
// dist-tarballs/, `workspace:` ranges rewritten, and the core and Express tarballs installed together
// with npm into a fresh project outside the workspace, where a real Express app protects a route
// against the emulator (which runs from the workspace). Needs the npm registry for express and the
// packages' own dependencies; builds the packages whose build is out of date.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type Emulator } from '@authlete-guard/emulator'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const out = join(root, 'dist-tarballs')
const PUBLISHABLE = ['core', 'emulator', 'express', 'fastify', 'hono', 'koa', 'mcp', 'nestjs', 'next', 'opentelemetry', 'redis']
const version = (name: string) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')).version as string
const tarball = (name: string) => join(out, `authlete-guard-${name}-${version(name)}.tgz`)

const APP = `
import express from 'express'
import { authleteOptionsFromEnv, createGuard, protect } from '@authlete-guard/express'

const guard = createGuard({ authlete: authleteOptionsFromEnv() })
const app = express()
app.get('/api/me', protect(guard, { scopes: ['profile'] }), (req, res) => res.json({ sub: req.auth.subject }))
await guard.ready()
const server = app.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port))
process.on('SIGTERM', () => server.close(() => guard.close()))
`

/** Start `node app.mjs` in `cwd`; resolve with its port once it prints it (within 20 s). */
function startApp(cwd: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['app.mjs'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the app did not start within 20 s:\n${output}`))
    }, 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk
      const port = /listening on (\d+)/.exec(output)?.[1]
      if (port) {
        clearTimeout(timer)
        resolve({ child, port: Number(port) })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the app exited with ${code}:\n${output}`))
    })
  })
}

describe('pnpm pack:all, and the core and Express tarballs installed with npm into a fresh project', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'authlete-guard-tarballs-'))
  let emulator: Emulator
  let app: { child: ChildProcess; port: number } | undefined
  let packOutput = ''

  beforeAll(async () => {
    packOutput = (await run('pnpm', ['--silent', 'pack:all'], { cwd: root, timeout: 240_000 })).stdout
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'tarball-consumer', private: true, type: 'module' }))
    writeFileSync(join(scratch, 'app.mjs'), APP)
    // The install the docs show: both tarballs and the framework, in one command.
    await run('npm', ['install', tarball('core'), tarball('express'), 'express', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: scratch, timeout: 180_000 })
    emulator = await startEmulator()
  }, 420_000)

  afterAll(async () => {
    if (app && app.child.exitCode === null) {
      const exited = new Promise((resolve) => app!.child.once('exit', resolve))
      app.child.kill('SIGTERM')
      await exited
    }
    await emulator?.close()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('writes one tarball per publishable package into dist-tarballs/ and lists them', () => {
    const expected = PUBLISHABLE.map((name) => `authlete-guard-${name}-${version(name)}.tgz`)
    expect(readdirSync(out).filter((file) => file.endsWith('.tgz')).sort()).toEqual(expected.sort())
    for (const file of expected) expect(packOutput).toContain(file)
  })

  it('the packed manifests name real versions, never workspace: ranges', async () => {
    for (const name of ['express', 'nestjs']) {
      const { stdout } = await run('tar', ['-xzOf', tarball(name), 'package/package.json'])
      const manifest = JSON.parse(stdout)
      expect(manifest.dependencies['@authlete-guard/core']).toBe(`^${version('core')}`)
      expect(JSON.stringify(manifest)).not.toContain('workspace:')
    }
  })

  it('pnpm -r publish --dry-run --no-git-checks passes for every publishable package, uploading nothing', async () => {
    const { stdout, stderr } = await run('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks'], { cwd: root, timeout: 120_000 })
    for (const name of PUBLISHABLE) expect(stdout + stderr).toContain(`Skip publishing @authlete-guard/${name}@${version(name)} (dry run)`)
    expect(stdout + stderr).not.toMatch(/@authlete-guard\/(demo|tests)\b/)
  }, 130_000)

  it('npm took both packages from the tarballs (the adapter\'s core too, not the registry), outside the workspace', () => {
    const installed = JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8')).dependencies
    expect(installed['@authlete-guard/core']).toMatch(/^file:.*authlete-guard-core-.*\.tgz$/)
    expect(installed['@authlete-guard/express']).toMatch(/^file:.*authlete-guard-express-.*\.tgz$/)
    const locked = Object.entries(JSON.parse(readFileSync(join(scratch, 'package-lock.json'), 'utf8')).packages as Record<string, { resolved?: string }>)
    const guardPackages = locked.filter(([path]) => path.includes('node_modules/@authlete-guard/'))
    expect(guardPackages.map(([path]) => path).sort()).toEqual(['node_modules/@authlete-guard/core', 'node_modules/@authlete-guard/express'])
    for (const [, entry] of guardPackages) expect(entry.resolved).toMatch(/^file:/)
    expect(scratch.startsWith(root)).toBe(false)
  })

  it('a real Express app there answers 401 without a token and 200 with a DPoP-bound one', async () => {
    app = await startApp(scratch, {
      AUTHLETE_BASE_URL: emulator.url,
      AUTHLETE_API_VERSION: 'V3',
      AUTHLETE_SERVICE_APIKEY: String(emulator.serviceId),
      AUTHLETE_SERVICE_ACCESSTOKEN: emulator.accessToken,
    })
    const url = `http://127.0.0.1:${app.port}/api/me`
    const anonymous = await fetch(url)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer scope="profile", DPoP /)

    const key = await createDpopKeyPair('ES256')
    const { accessToken } = await emulator.createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })
    const dpop = await createDpopProof(key, { htm: 'GET', htu: url, accessToken })
    const allowed = await fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
    expect(allowed.status).toBe(200)
    expect(await allowed.json()).toEqual({ sub: 'alice' })
  }, 30_000)
})
