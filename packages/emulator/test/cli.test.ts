import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof } from '@authlete-guard/emulator'
import { main, USAGE } from '../src/cli-main'

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
