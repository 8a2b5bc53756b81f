import { execFile } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof } from '@authlete-guard/emulator'
import { main, USAGE } from '../src/cli-main'
import { removeTestCertificates, testCertificates } from '../../../test/support/certs'

function collector() {
  let text = ''
  return { write: (chunk: string) => (text += chunk), get text() { return text } }
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

  it('the printed certificate-bound mint example works: its openssl line gives the x5t#S256, its body mints a token bound to it', async () => {
    const certificate = (await testCertificates({ clients: 1 })).clients[0]!
    const stdout = collector()
    const result = await main(['--port', '0'], { stdout })
    try {
      const lines = stdout.text.split('\n')
      const start = lines.findIndex((line) => line.startsWith('# Mint a certificate-bound token'))
      expect(start).toBeGreaterThan(0)
      // The thumbprint line, run as printed (openssl and coreutils' basenc) on a real certificate.
      const x5tLine = lines[start + 1]!.replace(/^# /, '').replace('client.pem', certificate.certPath)
      const x5t = await new Promise<string>((resolve, reject) =>
        execFile('bash', ['-c', `${x5tLine} && printf %s "$X5T"`], { timeout: 10_000 }, (error, out) => (error ? reject(error) : resolve(out))),
      )
      expect(x5t).toBe(certificate.x5tS256)
      // The curl line: its URL, service credential and body (with $X5T filled in), sent with fetch.
      const curl = lines[start + 2]!
      const [, url, authorization, data] = /curl -s (\S+) -H 'Authorization: ([^']+)' .* -d '(.*)'$/.exec(curl) ?? []
      const response = await fetch(url!, { method: 'POST', headers: { authorization: authorization!, 'content-type': 'application/json' }, body: data!.replace(`"'$X5T'"`, `"${x5t}"`) })
      const minted = (await response.json()) as { action: string; accessToken: string }
      expect(minted.action).toBe('OK')
      const emu = result.emulator!
      const introspect = async (clientCertificate?: string) => {
        const reply = await fetch(`${emu.url}/api/${emu.serviceId}/auth/introspection`, {
          method: 'POST',
          headers: { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ token: minted.accessToken, clientCertificate }),
        })
        return (await reply.json()) as Record<string, unknown>
      }
      expect(await introspect(certificate.certPem)).toMatchObject({ action: 'OK', certificateThumbprint: certificate.x5tS256 })
      expect(await introspect()).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065304' })
    } finally {
      await result.close()
      await removeTestCertificates()
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
