import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi } from './helpers'

let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator()
})
afterEach(async () => {
  await emu.close()
})
const introspect = () => callApi(emu, '/auth/introspection', { token: 'x' })

describe('fault injection', () => {
  it('latency: delays, then answers normally', async () => {
    emu.faults.inject({ type: 'latency', ms: 200 }, { times: 1 })
    const started = performance.now()
    const { status, body } = await introspect()
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    expect(status).toBe(200)
    expect(body.action).toBe('UNAUTHORIZED')
  })

  it('status: default Authlete-style body, or a custom one', async () => {
    emu.faults.inject({ type: 'status', status: 503 }, { times: 1 })
    const first = await introspect()
    expect(first.status).toBe(503)
    expect(first.body).toMatchObject({ resultCode: 'A001101', resultMessage: expect.stringMatching(/^\[A001101\] /) })
    emu.faults.inject({ type: 'status', status: 500, body: { resultCode: 'A999999', resultMessage: 'boom' } }, { times: 1 })
    expect((await introspect()).body).toEqual({ resultCode: 'A999999', resultMessage: 'boom' })
    expect((await introspect()).status).toBe(200)
  })

  it('garbage: 200 application/json that is not JSON', async () => {
    emu.faults.inject({ type: 'garbage' }, { times: 1 })
    const { status, headers, text, body } = await introspect()
    expect(status).toBe(200)
    expect(headers.get('content-type')).toMatch(/^application\/json/)
    expect(body).toBeUndefined()
    expect(() => JSON.parse(text)).toThrow()
  })

  it('hang: never answers; close() still returns promptly', async () => {
    emu.faults.inject({ type: 'hang' })
    const pending = fetch(`${emu.url}/api/${emu.serviceId}/auth/introspection`, { method: 'POST', body: '{}' }).catch((error: unknown) => error)
    // The emulator records a request when it has read it, and its reply once it has sent one.
    for (let i = 0; i < 200 && emu.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(emu.requests).toHaveLength(1)
    const started = performance.now()
    await emu.close()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await pending).toBeInstanceOf(Error)
    // Never answered: closed with no reply recorded, and none can come after close().
    expect(emu.requests[0]).not.toHaveProperty('reply')
  })

  it('reset: the connection is destroyed', async () => {
    emu.faults.inject({ type: 'reset' }, { times: 1 })
    await expect(introspect()).rejects.toThrow()
    expect((await introspect()).status).toBe(200)
  })

  it('reply: scripted body and status verbatim (e.g. an unknown action)', async () => {
    emu.faults.inject({ type: 'reply', body: { type: 'introspectionResponse', action: 'SOMETHING_NEW', resultCode: 'A000000' } }, { times: 1 })
    expect((await introspect()).body).toEqual({ type: 'introspectionResponse', action: 'SOMETHING_NEW', resultCode: 'A000000' })
    emu.faults.inject({ type: 'reply', status: 202, body: 'plain' }, { times: 1 })
    const plain = await introspect()
    expect(plain.status).toBe(202)
    expect(plain.text).toBe('plain')
  })

  it('times, path (string and RegExp) and clear()', async () => {
    emu.faults.inject({ type: 'status', status: 502 }, { path: '/auth/token' })
    expect((await introspect()).status).toBe(200)
    expect((await callApi(emu, '/auth/token', {})).status).toBe(502)
    expect((await callApi(emu, '/auth/token', {}, { version: 'V2' })).status).toBe(502)
    emu.faults.clear()
    expect((await callApi(emu, '/auth/token', {})).status).toBe(200)

    emu.faults.inject({ type: 'status', status: 500 }, { path: /introspection/, times: 2 })
    expect((await callApi(emu, '/auth/token/create', {})).status).toBe(200)
    expect((await introspect()).status).toBe(500)
    expect((await introspect()).status).toBe(500)
    expect((await introspect()).status).toBe(200)
    expect(() => emu.faults.inject({ type: 'hang' }, { times: 0 })).toThrow(RangeError)
  })

  it('faults apply before the credential check and requests are still recorded', async () => {
    emu.faults.inject({ type: 'status', status: 503 }, { times: 1 })
    const { status } = await callApi(emu, '/auth/introspection', { token: 'x' }, { authorization: null })
    expect(status).toBe(503)
    expect(emu.requests).toHaveLength(1)
  })
})
