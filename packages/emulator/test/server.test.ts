import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_API_SECRET, DEFAULT_SERVICE_ACCESS_TOKEN, DEFAULT_SERVICE_ID, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi } from './helpers'

let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator()
})
afterEach(async () => {
  await emu.close()
})

const UNAUTHORIZED_BODY = {
  resultCode: 'A001202',
  resultMessage: '[A001202] Authorization header is missing or invalid. The service credentials are wrong or do not match this API path.',
}

describe('emulator server', () => {
  it('binds 127.0.0.1 on a random port with the documented default credentials', () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(emu.serviceId).toBe(DEFAULT_SERVICE_ID)
    expect(emu.apiKey).toBe(emu.serviceId)
    expect(emu.apiSecret).toBe(DEFAULT_API_SECRET)
    expect(emu.accessToken).toBe(DEFAULT_SERVICE_ACCESS_TOKEN)
  })

  it('accepts custom credentials', async () => {
    const custom = await startEmulator({ serviceId: 123, accessToken: 'at', apiSecret: 'sec' })
    try {
      expect(custom.url).not.toBe(emu.url)
      expect((await callApi(custom, '/auth/introspection', { token: 'x' })).status).toBe(200)
      expect((await callApi(custom, '/auth/introspection', { token: 'x' }, { version: 'V2' })).status).toBe(200)
      expect(custom.apiKey).toBe('123')
    } finally {
      await custom.close()
    }
  })

  it.each([
    ['V3', null],
    ['V3', 'Bearer wrong'],
    ['V3', `Basic ${Buffer.from(`${DEFAULT_SERVICE_ID}:${DEFAULT_API_SECRET}`).toString('base64')}`],
    ['V2', null],
    ['V2', `Basic ${Buffer.from(`${DEFAULT_SERVICE_ID}:wrong`).toString('base64')}`],
    ['V2', `Bearer ${DEFAULT_SERVICE_ACCESS_TOKEN}`],
  ] as const)('%s with Authorization %s -> HTTP 401 A001202', async (version, authorization) => {
    const { status, body, headers } = await callApi(emu, '/auth/introspection', { token: 'x' }, { version, authorization })
    expect(status).toBe(401)
    expect(body).toEqual(UNAUTHORIZED_BODY)
    expect(headers.get('www-authenticate')).toBeTruthy()
  })

  it('v3 path with another service id -> 401', async () => {
    const response = await fetch(`${emu.url}/api/999/auth/introspection`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' },
      body: '{"token":"x"}',
    })
    expect(response.status).toBe(401)
  })

  it('unknown path -> 404, GET -> 405, invalid JSON / non-object -> 400, all with resultCode', async () => {
    const notFound = await callApi(emu, '/auth/nothing', {})
    expect(notFound.status).toBe(404)
    expect(notFound.body.resultCode).toBe('A001292')
    expect((await fetch(`${emu.url}/`)).status).toBe(404)
    const get = await callApi(emu, '/auth/introspection', undefined, { method: 'GET' })
    expect(get.status).toBe(405)
    for (const raw of ['{not json', '[1,2]', '"token"', '']) {
      const bad = await callApi(emu, '/auth/introspection', undefined, { raw })
      expect(bad.status).toBe(400)
      expect(bad.body).toMatchObject({ resultCode: 'A001291', resultMessage: expect.stringMatching(/^\[A001291\] /) })
    }
  })

  it('records every request (parsed JSON or raw) and can be cleared', async () => {
    await callApi(emu, '/auth/introspection', { token: 't1' })
    await callApi(emu, '/auth/introspection', undefined, { raw: 'raw body', version: 'V2' })
    expect(emu.requests).toHaveLength(2)
    expect(emu.requests[0]).toMatchObject({
      method: 'POST',
      path: `/api/${emu.serviceId}/auth/introspection`,
      apiPath: '/auth/introspection',
      version: 'V3',
      body: { token: 't1' },
    })
    expect(emu.requests[0]?.headers.authorization).toBe(`Bearer ${emu.accessToken}`)
    expect(emu.requests[1]).toMatchObject({ path: '/api/auth/introspection', version: 'V2', body: 'raw body' })
    emu.requests.length = 0
    await callApi(emu, '/auth/token/create', {})
    expect(emu.requests).toHaveLength(1)
  })

  it('records each reply as sent (status and parsed body) on its request', async () => {
    const ok = await callApi(emu, '/auth/introspection', { token: 'nope' })
    const bad = await callApi(emu, '/auth/introspection', undefined, { raw: '{not json', version: 'V2' })
    emu.faults.inject({ type: 'garbage' }, { times: 1 })
    await callApi(emu, '/auth/introspection', { token: 'x' })
    expect(emu.requests.map((r) => r.reply)).toEqual([
      { status: 200, body: ok.body },
      { status: 400, body: bad.body },
      { status: 200, body: '<html><body>502 Bad Gateway</body></html> {"resultCode":' },
    ])
  })

  it('a recorded reply is what went over the wire: members without a value are not there', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice' })
    await callApi(emu, '/auth/introspection', { token: accessToken })
    expect(emu.requests[0]?.reply?.body).toMatchObject({ action: 'OK', subject: 'alice' })
    // The handler's `acr: undefined` (no acr on this token) is not sent, so it is not recorded.
    expect(emu.requests[0]?.reply?.body).not.toHaveProperty('acr')
  })

  it('a request still unanswered (hang fault) has no reply yet', async () => {
    emu.faults.inject({ type: 'hang' }, { times: 1 })
    const pending = callApi(emu, '/auth/introspection', { token: 'x' }).catch(() => undefined)
    for (let i = 0; i < 50 && emu.requests.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(emu.requests).toHaveLength(1)
    expect(emu.requests[0]).not.toHaveProperty('reply')
    await emu.close()
    await pending
  })

  it('configure() changes service settings at runtime', async () => {
    expect(emu.settings.dpopNonceRequired).toBe(false)
    emu.configure({ dpopNonceRequired: true, accessTokenDuration: 5 })
    expect(emu.settings).toMatchObject({ dpopNonceRequired: true, accessTokenDuration: 5 })
    expect((await emu.createToken({ subject: 'a' })).expiresIn).toBe(5)
  })

  it('close() is idempotent-safe and stops answering', async () => {
    const other = await startEmulator()
    await other.close()
    await expect(fetch(`${other.url}/api/auth/introspection`, { method: 'POST' })).rejects.toThrow()
    await other.close()
  })
})
