// Issue 19, point 8: `auth.properties` / `auth.hiddenProperties` hold whatever keys the token's
// properties have. A property named `__proto__` must stay an own property (a plain object's
// `__proto__` setter would drop it, or worse, change the object's prototype) and one named
// `toString` must not break String(), template literals, JSON.stringify, Object.keys or spread.
// The token is made through the emulator's /auth/token/create and judged by a real guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '@authlete-guard/emulator'
import { createGuard, type AccessTokenInfo, type Guard } from '../src'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
let emu: Emulator
let guard: Guard
let auth: AccessTokenInfo

beforeAll(async () => {
  emu = await startEmulator()
  guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, cache: true })
  const { accessToken } = await emu.createToken({
    subject: 'alice',
    scopes: ['read'],
    properties: [
      { key: '__proto__', value: 'proto-value' },
      { key: 'toString', value: 'to-string-value' },
      { key: 'valueOf', value: 'value-of-value' },
      { key: 'plan', value: 'gold' },
      { key: 'constructor', value: 'hidden-constructor', hidden: true },
      { key: '__proto__', value: 'hidden-proto', hidden: true },
    ],
  })
  const decision = await guard.check({ method: 'GET', url: '/api/me', headers: { host: 'api.example.com', authorization: `Bearer ${accessToken}` } })
  if (!decision.allowed) throw new Error(`expected the token to be accepted: ${decision.body}`)
  auth = decision.auth
})
afterAll(async () => {
  await guard?.close()
  await emu?.close()
})

describe('token properties named like Object.prototype members', () => {
  it('__proto__ is an own property with its value; the prototype is untouched (none)', () => {
    expect(Object.hasOwn(auth.properties, '__proto__')).toBe(true)
    expect(auth.properties['__proto__']).toBe('proto-value')
    expect(Object.getPrototypeOf(auth.properties)).toBeNull()
    expect(Object.keys(auth.properties)).toEqual(['__proto__', 'toString', 'valueOf', 'plan'])
  })

  it('hiddenProperties alike: constructor and __proto__ are own properties, nothing inherited', () => {
    expect(Object.entries(auth.hiddenProperties)).toEqual([['constructor', 'hidden-constructor'], ['__proto__', 'hidden-proto']])
    expect(Object.getPrototypeOf(auth.hiddenProperties)).toBeNull()
    expect('hasOwnProperty' in auth.properties).toBe(false)
  })

  it('String(), template literals and + give [object Object] even with a toString property', () => {
    expect(String(auth.properties)).toBe('[object Object]')
    expect(`${auth.properties}`).toBe('[object Object]')
    expect('' + auth.hiddenProperties).toBe('[object Object]')
  })

  it('JSON.stringify and spread keep every key (and only the keys), __proto__ included', () => {
    expect(JSON.parse(JSON.stringify(auth.properties))).toEqual({ ['__proto__']: 'proto-value', toString: 'to-string-value', valueOf: 'value-of-value', plan: 'gold' })
    expect(JSON.stringify(auth.properties)).toBe('{"__proto__":"proto-value","toString":"to-string-value","valueOf":"value-of-value","plan":"gold"}')
    const copy = { ...auth.properties }
    expect(Object.hasOwn(copy, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['__proto__', 'toString', 'valueOf', 'plan'])
  })

  it('a cache hit gives the same records', async () => {
    const { accessToken } = await emu.createToken({ subject: 'bob', scopes: [], properties: [{ key: '__proto__', value: 'p' }, { key: 'toString', value: 't' }] })
    const request = { method: 'GET', url: '/api/me', headers: { host: 'api.example.com', authorization: `Bearer ${accessToken}` } }
    await guard.check(request)
    const hit = await guard.check({ ...request, headers: { ...request.headers } })
    expect(hit.allowed && hit.auth.source).toBe('cache')
    if (!hit.allowed) return
    expect(JSON.stringify(hit.auth.properties)).toBe('{"__proto__":"p","toString":"t"}')
    expect(String(hit.auth.properties)).toBe('[object Object]')
  })
})
