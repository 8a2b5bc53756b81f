// The adapter kit (issue 20, point 4): what every framework adapter used to write for itself, in
// the core once. The guard check, the one memoisation rule of a guard factory, the route check,
// a denial on Node's ServerResponse, and the one list every adapter re-exports.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import * as root from '../src/index'
import { assertGuard, createGuard, isAuthleteGuardError, lazyGuard, routeCheck, type Guard } from '../src/index'
import * as adapterList from '../src/kit/adapter-exports'
import { setDecisionHeaders, writeDenial } from '../src/node/index'

const V3 = { baseUrl: 'http://127.0.0.1:9', serviceId: 1, accessToken: 'kit-test' }
const V2 = { baseUrl: 'http://127.0.0.1:9', apiKey: 1, apiSecret: 'kit-test' }
const guards: Guard[] = []
const newGuard = (authlete: typeof V3 | typeof V2 = V3) => {
  const guard = createGuard({ authlete })
  guards.push(guard)
  return guard
}
afterAll(async () => {
  await Promise.all(guards.map((guard) => guard.close()))
})

/** The error `fn` throws, or 'none'. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return 'none'
}
const configError = (message: string | RegExp) => expect.objectContaining({ name: 'AuthleteGuardError', code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(message) })

describe('assertGuard', () => {
  it('lets a guard through and refuses anything else with ERR_INVALID_CONFIG, "<where> needs <what>"', () => {
    expect(thrown(() => assertGuard(newGuard(), 'x: protect(guard)'))).toBe('none')
    for (const value of [undefined, null, {}, { check: 'no' }, () => newGuard()]) {
      expect(thrown(() => assertGuard(value, 'x: protect(guard)'))).toEqual(configError(/^x: protect\(guard\) needs a guard from createGuard\(\)$/))
    }
    expect(thrown(() => assertGuard(undefined, 'x: forRoot', '{ guard }'))).toEqual(configError(/^x: forRoot needs \{ guard \}$/))
  })
})

describe('lazyGuard: the one memoisation rule', () => {
  it('returns a guard as it is, and checks it now', () => {
    const guard = newGuard()
    expect(lazyGuard(guard, 'x')()).toBe(guard)
    expect(thrown(() => lazyGuard({} as Guard, 'x: protect(guard)'))).toEqual(configError(/x: protect\(guard\) needs a guard from createGuard\(\) \(or a function returning one\)/))
  })

  it('calls a factory on first use, once, and shares its guard with every caller given the same function', () => {
    let calls = 0
    const factory = () => (calls++, newGuard())
    const first = lazyGuard(factory, 'route a')
    const second = lazyGuard(factory, 'route b')
    expect(calls).toBe(0)
    const guard = first()
    expect([second(), first(), calls]).toEqual([guard, guard, 1])
    const other = () => newGuard()
    expect(lazyGuard(other, 'route c')()).not.toBe(guard)
  })

  it('calls a factory that threw again on the next use; one that returns no guard fails with ERR_INVALID_CONFIG', () => {
    let calls = 0
    const flaky = () => {
      if (++calls === 1) throw new Error('env not there yet')
      return newGuard()
    }
    const getGuard = lazyGuard(flaky, 'x')
    expect(thrown(getGuard)).toEqual(new Error('env not there yet'))
    expect(typeof getGuard().check).toBe('function')
    expect(calls).toBe(2)
    const wrong = lazyGuard(() => ({}) as Guard, 'x: protect(guard)')
    expect(thrown(wrong)).toEqual(configError(/^x: protect\(guard\): the guard factory needs to return a guard from createGuard\(\)$/))
  })
})

describe('routeCheck', () => {
  it('checks the route when declared: shape always, Authlete V2 nonces when the guard is known', () => {
    expect(thrown(() => routeCheck(newGuard(), { scopes: 'x' as never }, 'x'))).toEqual(configError(/scopes must be an array/))
    expect(thrown(() => routeCheck(newGuard(V2), { dpopNonceRequired: true }, 'x'))).toEqual(configError(/Authlete API V2 has no DPoP nonces/))
    expect(thrown(() => routeCheck(() => newGuard(V2), { dpopNonceRequired: true }, 'x'))).toBe('none')
  })

  it("asks the guard about the request with the route's options", async () => {
    const seen: unknown[] = []
    const guard: Guard = { ...newGuard(), check: async (request, route) => (seen.push([request.url, route]), { allowed: false }) as never }
    const route = { scopes: ['read'] }
    await routeCheck(guard, route, 'x')({ method: 'GET', url: '/a', headers: {} })
    expect(seen).toEqual([['/a', route]])
  })
})

describe('writeDenial and setDecisionHeaders on a real node:http response', () => {
  let server: Server | undefined
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<Response> {
    server = createServer(handler)
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  }

  it('sends the status, every header and the body as decided, nothing added', async () => {
    const denial = { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1', 'Content-Type': 'application/json' }, body: '{"error":"use_dpop_nonce"}' }
    const res = await serve((_req, res) => writeDenial(res, denial))
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect([res.headers.get('www-authenticate'), res.headers.get('dpop-nonce')]).toEqual(['DPoP error="use_dpop_nonce"', 'n-1'])
    expect(await res.text()).toBe(denial.body)
  })

  it('setDecisionHeaders puts the decision headers on a response the route then writes', async () => {
    const res = await serve((_req, res) => {
      setDecisionHeaders(res, { headers: { 'DPoP-Nonce': 'n-2' } })
      res.end('route')
    })
    expect([res.status, res.headers.get('dpop-nonce'), await res.text()]).toEqual([200, 'n-2', 'route'])
  })
})

describe('the one list every adapter re-exports (@authlete-guard/core/adapter)', () => {
  it('is this list, snapshot: a name added or dropped here changes every adapter', () => {
    expect(Object.keys(adapterList).sort()).toEqual(['AuthleteGuardError', 'authleteOptionsFromEnv', 'createMemoryReplayStore', 'isAuthleteGuardError'])
  })

  it("is the root entry's own values (the runtime-bound createGuard is each adapter's to add)", () => {
    for (const [name, value] of Object.entries(adapterList)) expect(value, name).toBe(root[name as keyof typeof root])
    expect('createGuard' in adapterList).toBe(false)
    expect(isAuthleteGuardError(new adapterList.AuthleteGuardError('ERR_INVALID_CONFIG', 'x'))).toBe(true)
  })
})
