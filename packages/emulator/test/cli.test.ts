import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { main, USAGE } from '../src/cli-main'
import { MINT_USAGE } from '../src/cli-mint'
import { removeTestCertificates, testCertificates, type TestCertificate } from '../../../test/support/certs'
import { unreachableUrl } from '../../../test/support/unreachable'
import { buildCli, type CliBinary } from './cli-process'

function collector() {
  let text = ''
  return { write: (chunk: string) => (text += chunk), get text() { return text } }
}

/** The real `authlete-emulator` binary, bundled from src/cli.ts. */
let cli: CliBinary
beforeAll(async () => {
  cli = await buildCli()
})
afterAll(async () => {
  cli.remove()
  await removeTestCertificates()
})

/** `/auth/introspection` on the emulator's v3 path: the reply body. */
async function introspect(emu: Emulator, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const reply = await fetch(`${emu.url}/api/${emu.serviceId}/auth/introspection`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return (await reply.json()) as Record<string, unknown>
}

describe('authlete-emulator CLI (main)', () => {
  it('prints paste-able credentials, serves them, and stops on SIGINT', async () => {
    const stdout = collector()
    const signals = new EventEmitter()
    const result = await main(['--port', '0', '--nonce'], { stdout, signals })
    try {
      expect(result.exitCode).toBe(0)
      const env = Object.fromEntries([...stdout.text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
      expect(env.AUTHLETE_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(env.AUTHLETE_API_VERSION).toBe('V3')
      expect(env).toHaveProperty('AUTHLETE_SERVICE_APIKEY')
      expect(env).toHaveProperty('AUTHLETE_SERVICE_APISECRET')
      expect(env).toHaveProperty('CLIENT_ID')
      expect(env).toHaveProperty('CLIENT_SECRET')
      expect(stdout.text).toContain('DPoP nonces required')

      const v3 = await fetch(`${env.AUTHLETE_BASE_URL}/api/${env.AUTHLETE_SERVICE_APIKEY}/auth/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.AUTHLETE_SERVICE_ACCESSTOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ parameters: `grant_type=client_credentials&client_id=${env.CLIENT_ID}&client_secret=${env.CLIENT_SECRET}` }),
      })
      expect(v3.status).toBe(200)
      expect((await v3.json()).action).toBe('OK')
      const v2 = await fetch(`${env.AUTHLETE_BASE_URL}/api/auth/introspection`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${env.AUTHLETE_SERVICE_APIKEY}:${env.AUTHLETE_SERVICE_APISECRET}`).toString('base64')}` },
        body: '{"token":"x"}',
      })
      expect(v2.status).toBe(200)

      signals.emit('SIGINT')
      await result.closed
      expect(stdout.text).toContain('stopped')
      await expect(fetch(`${env.AUTHLETE_BASE_URL}/api/auth/introspection`, { method: 'POST' })).rejects.toThrow()
    } finally {
      await result.close()
    }
  })

  it('--allow-replayed-proofs: the same DPoP proof is accepted twice (refused twice without the flag)', async () => {
    const introspectTwice = async (argv: string[]) => {
      const stdout = collector()
      const result = await main(['--port', '0', ...argv], { stdout })
      try {
        const emu = result.emulator
        if (!emu) throw new Error('no emulator started')
        const key = await createDpopKeyPair('ES256')
        const { accessToken } = await emu.createToken({ subject: 'alice', dpopKeyThumbprint: key.thumbprint })
        const htu = 'https://rs.example.com/me'
        const body = JSON.stringify({ token: accessToken, dpop: await createDpopProof(key, { htm: 'GET', htu, accessToken }), htm: 'GET', htu })
        const actions: string[] = []
        for (let i = 0; i < 2; i++) {
          const response = await fetch(`${emu.url}/api/${emu.serviceId}/auth/introspection`, {
            method: 'POST',
            headers: { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' },
            body,
          })
          actions.push(((await response.json()) as { action: string }).action)
        }
        return { actions, banner: stdout.text.split('\n')[0] }
      } finally {
        await result.close()
      }
    }
    const allowed = await introspectTwice(['--allow-replayed-proofs'])
    expect(allowed.actions).toEqual(['OK', 'OK'])
    expect(allowed.banner).toContain('replayed DPoP proofs accepted')
    const strict = await introspectTwice([])
    expect(strict.actions).toEqual(['OK', 'UNAUTHORIZED'])
    expect(strict.banner).not.toContain('replayed')
    expect(USAGE).toContain('--allow-replayed-proofs')
  })

  it('--issuer and the endpoint flags set what /service/configuration reports; a bad URL exits 1', async () => {
    const stdout = collector()
    const flags = [
      '--issuer', 'http://127.0.0.1:3000',
      '--authorization-endpoint', 'http://127.0.0.1:3000/oauth/authorize',
      '--token-endpoint', 'http://127.0.0.1:3000/oauth/token',
      '--par-endpoint', 'http://127.0.0.1:3000/oauth/par',
      '--userinfo-endpoint', 'http://127.0.0.1:3000/userinfo',
      '--introspection-endpoint', 'http://127.0.0.1:3000/introspect',
      '--revocation-endpoint', 'http://127.0.0.1:3000/revoke',
    ]
    const result = await main(['--port', '0', ...flags], { stdout })
    try {
      const env = Object.fromEntries([...stdout.text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
      expect(stdout.text).toContain('# issuer: http://127.0.0.1:3000')
      expect(stdout.text).toContain(`${env.AUTHLETE_BASE_URL}/api/${env.AUTHLETE_SERVICE_APIKEY}/service/configuration`)
      const response = await fetch(`${env.AUTHLETE_BASE_URL}/api/${env.AUTHLETE_SERVICE_APIKEY}/service/configuration`, { headers: { authorization: `Bearer ${env.AUTHLETE_SERVICE_ACCESSTOKEN}` } })
      expect(await response.json()).toMatchObject({
        issuer: 'http://127.0.0.1:3000',
        authorization_endpoint: 'http://127.0.0.1:3000/oauth/authorize',
        token_endpoint: 'http://127.0.0.1:3000/oauth/token',
        pushed_authorization_request_endpoint: 'http://127.0.0.1:3000/oauth/par',
        userinfo_endpoint: 'http://127.0.0.1:3000/userinfo',
        introspection_endpoint: 'http://127.0.0.1:3000/introspect',
        revocation_endpoint: 'http://127.0.0.1:3000/revoke',
      })
    } finally {
      await result.close()
    }
    const stderr = collector()
    expect((await main(['--port', '0', '--token-endpoint', '/token'], { stdout: collector(), stderr })).exitCode).toBe(1)
    expect(stderr.text).toContain('tokenEndpoint must be an absolute http(s) URL')
    for (const flag of ['--issuer', '--authorization-endpoint', '--token-endpoint', '--par-endpoint', '--userinfo-endpoint', '--introspection-endpoint', '--revocation-endpoint']) {
      expect(USAGE).toContain(flag)
    }
  })

  it('the printed mint command, run as printed in bash, mints a token bound to client.pem', async () => {
    const certificate = (await testCertificates({ clients: 1 })).clients[0]!
    const stdout = collector()
    const result = await main(['--port', '0'], { stdout })
    try {
      const emu = result.emulator!
      const line = stdout.text.split('\n').find((text) => text.startsWith('# TOKEN=$(npx authlete-emulator mint '))
      expect(line).toContain(`--url ${emu.url} `)
      // The line as printed, with the binary built from the sources and a real certificate for client.pem.
      const command = line!.replace(/^# /, '').replace('npx authlete-emulator', `'${process.execPath}' '${cli.path}'`).replace('client.pem', certificate.certPath)
      const token = await new Promise<string>((resolve, reject) =>
        execFile('bash', ['-c', `${command} && printf %s "$TOKEN"`], { timeout: 15_000, env: { PATH: process.env.PATH ?? '' } }, (error, out) => (error ? reject(error) : resolve(out))),
      )
      expect(await introspect(emu, { token, clientCertificate: certificate.certPem })).toMatchObject({ action: 'OK', subject: 'alice', scopes: ['read'], certificateThumbprint: certificate.x5tS256 })
      expect(await introspect(emu, { token })).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065304' })
    } finally {
      await result.close()
    }
  })

  it('--help prints usage; bad arguments exit 2', async () => {
    const stdout = collector()
    const help = await main(['--help'], { stdout })
    expect(help.exitCode).toBe(0)
    expect(help.emulator).toBeUndefined()
    expect(stdout.text).toBe(USAGE)
    const stderr = collector()
    expect((await main(['--bogus'], { stdout, stderr })).exitCode).toBe(2)
    expect(stderr.text).toContain('Usage:')
    expect((await main(['--port', 'abc'], { stdout, stderr })).exitCode).toBe(1)
  })
})

describe('authlete-emulator mint (the real process against a running emulator)', () => {
  let alice: TestCertificate
  let bob: TestCertificate
  let emu: Emulator
  beforeAll(async () => {
    ;[alice, bob] = (await testCertificates({ clients: 2 })).clients as [TestCertificate, TestCertificate]
    emu = await startEmulator()
  })
  afterAll(() => emu.close())

  it('--certificate: prints only the access token, bound to the x5t#S256 of the PEM; subject, scopes and resources as given', async () => {
    const run = await cli.run(['mint', '--url', emu.url, '--subject', 'alice', '--scope', 'read write', '--scope', 'admin', '--resource', 'https://api.example.com/mcp', '--certificate', alice.certPath])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(/^[\w-]+\n$/)
    const token = run.stdout.trim()
    expect(await introspect(emu, { token, clientCertificate: alice.certPem })).toMatchObject({
      action: 'OK',
      subject: 'alice',
      scopes: ['read', 'write', 'admin'],
      accessTokenResources: ['https://api.example.com/mcp'],
      certificateThumbprint: alice.x5tS256,
    })
    expect(await introspect(emu, { token, clientCertificate: bob.certPem })).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065305' })
    expect(await introspect(emu, { token })).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065304' })
  })

  it('--dpop-jkt binds to a DPoP key; URL and service credentials come from the exports the emulator prints', async () => {
    const other = await startEmulator({ serviceId: 7770001, accessToken: 'another-service-token' })
    try {
      const env = { AUTHLETE_BASE_URL: other.url, AUTHLETE_SERVICE_APIKEY: other.serviceId, AUTHLETE_SERVICE_ACCESSTOKEN: other.accessToken }
      const key = await createDpopKeyPair('ES256')
      const run = await cli.run(['mint', '--subject', 'bob', '--dpop-jkt', key.thumbprint], env)
      expect(run).toMatchObject({ code: 0, stderr: '' })
      const token = run.stdout.trim()
      const htu = 'https://rs.example.com/me'
      const dpop = await createDpopProof(key, { htm: 'GET', htu, accessToken: token })
      expect(await introspect(other, { token, dpop, htm: 'GET', htu })).toMatchObject({ action: 'OK', subject: 'bob' })
      expect(await introspect(other, { token })).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065308' })
      // Without --subject: a client credentials token of the ready client.
      const plain = await cli.run(['mint', '--client-id', '5550002002'], env)
      expect(await introspect(other, { token: plain.stdout.trim() })).toMatchObject({ action: 'OK', clientId: 5550002002, grantType: 'CLIENT_CREDENTIALS' })
    } finally {
      await other.close()
    }
  })

  it('refusals exit 1 with the reason on stderr and nothing on stdout: Authlete\'s message, a file that is not a PEM certificate, wrong credentials, nobody listening', async () => {
    const notPem = join(cli.path, '..', 'not-a-certificate.pem')
    writeFileSync(notPem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--client-id', '42'], {}, /not minted: \[A109301\]/],
      [['--certificate', notPem], {}, /--certificate: .*not-a-certificate\.pem is not a PEM certificate/],
      [['--certificate', join(cli.path, '..', 'missing.pem')], {}, /--certificate: cannot read/],
      [[], { AUTHLETE_SERVICE_ACCESSTOKEN: 'not-the-service-token' }, /not minted: \[A001202\]/],
    ]
    for (const [args, env, message] of cases) {
      const run = await cli.run(['mint', '--url', emu.url, ...args], env)
      expect({ code: run.code, stdout: run.stdout }, args.join(' ')).toEqual({ code: 1, stdout: '' })
      expect(run.stderr).toMatch(message)
      expect(run.stderr).not.toContain('not-the-service-token')
    }
    const down = await cli.run(['mint', '--url', await unreachableUrl()])
    expect(down).toMatchObject({ code: 1, stdout: '' })
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+/)
  })

  it('bad arguments exit 2: no URL, a URL that is not http(s), an unknown flag; --help prints the mint usage', async () => {
    expect(await cli.run(['mint', '--subject', 'alice'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('--url is required') })
    expect(await cli.run(['mint', '--url', 'ftp://127.0.0.1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--url must be an absolute http(s) URL') })
    expect(await cli.run(['mint', '--url', emu.url, '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: authlete-emulator mint') })
    expect(await cli.run(['mint', '--help'])).toEqual({ code: 0, stdout: MINT_USAGE, stderr: '' })
    expect(USAGE).toContain('authlete-emulator mint [options]')
  })
})
