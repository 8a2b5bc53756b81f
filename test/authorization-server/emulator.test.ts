/**
 * The authorization-server side end to end: the emulator's `/auth/token` issues a DPoP-bound token
 * through `as.token()` (served by the Express `tokenEndpoint` over real HTTP on 127.0.0.1, proofs
 * signed with real keys); that token is then accepted by a protected route of every adapter
 * (scenario drivers) with a proof of the same key, and refused with a proof of another key.
 */
import express from 'express'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthleteOptions } from '@authlete-guard/core'
import { createAuthorizationServer, type AuthorizationServer } from '@authlete-guard/core/authorization-server'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../fixtures/keys'
import { parEndpoint, tokenEndpoint, userinfoEndpoint } from '../../packages/express/src/authorization-server'
import { drivers } from '../scenarios/drivers'
import { listen, ROUTES, type ScenarioApp } from '../scenarios/harness'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

let emu: Emulator
let as: AuthorizationServer
let asUrl: string
let closeAs: () => Promise<void>
let tokenKey: DpopKeyPair
let otherKey: DpopKeyPair

const SUBJECT = 'alice'
const REDIRECT_URI = 'https://client.example.org/cb'
const basicAuth = `Basic ${Buffer.from(`${DEFAULT_CLIENT.clientId}:${encodeURIComponent(DEFAULT_CLIENT.clientSecret)}`).toString('base64')}`
const authlete = (): AuthleteOptions => ({ baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 5000 })

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  ;[tokenKey, otherKey] = await Promise.all([createDpopKeyPair('ES256'), fixtureKeyPair('RS256')])
  as = createAuthorizationServer({
    authlete: authlete(),
    getClaims: (subject, names) => Object.fromEntries(names.filter((n) => n === 'name').map((n) => [n, `${subject} (${n})`])),
  })
  const app = express()
  app.post('/token', tokenEndpoint(as))
  app.post('/par', parEndpoint(as))
  app.get('/userinfo', userinfoEndpoint(as))
  const server = await listen(app, () => as.close())
  asUrl = server.url
  closeAs = server.close
})

afterAll(async () => {
  await closeAs?.()
  await emu?.close()
})

async function post(path: string, form: string, headers: Record<string, string> = {}) {
  const reply = await request(`${asUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form })
  const text = await reply.body.text()
  return { status: reply.statusCode, headers: reply.headers, text, json: () => JSON.parse(text) }
}

/** POST /token with a proof of `key` (RFC 9449 §5), through the Express handler and `as.token()`. */
async function tokenRequest(form: string, key: DpopKeyPair, extra: { nonce?: string; headers?: Record<string, string> } = {}) {
  const dpop = await createDpopProof(key, { htm: 'POST', htu: `${asUrl}/token`, ...(extra.nonce ? { nonce: extra.nonce } : {}) })
  return post('/token', form, { dpop, ...extra.headers })
}

async function authorizationCodeToken() {
  const code = await emu.createAuthorizationCode({ subject: SUBJECT, scopes: ['openid', 'profile', 'write'], redirectUri: REDIRECT_URI, claims: ['name'] })
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }).toString()
  const reply = await tokenRequest(form, tokenKey, { headers: { authorization: basicAuth } })
  expect(reply.status, reply.text).toBe(200)
  return reply
}

async function callRoute(app: ScenarioApp, accessToken: string, key: DpopKeyPair) {
  const route = ROUTES.me
  const dpop = await createDpopProof(key, { htm: route.method, htu: app.url + route.path, accessToken })
  const reply = await request(app.url + route.path, { method: route.method, headers: { authorization: `DPoP ${accessToken}`, dpop } })
  const text = await reply.body.text()
  return { status: reply.statusCode, wwwAuthenticate: reply.headers["www-authenticate"] as string | undefined, text }
}

describe('RFC 9449 §5 the emulator issues a DPoP-bound token through as.token()', () => {
  it('authorization_code with HTTP Basic and a real ES256 proof -> 200, token_type DPoP, no-store', async () => {
    const reply = await authorizationCodeToken()
    const body = reply.json()
    expect(body).toMatchObject({ token_type: 'DPoP', scope: 'openid profile write' })
    expect(typeof body.access_token).toBe('string')
    expect(reply.headers['content-type']).toBe('application/json')
    expect(reply.headers['cache-control']).toBe('no-store')
    expect(reply.headers.pragma).toBe('no-cache')
  })

  it('client_credentials with form credentials and a real proof -> DPoP-bound token', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile', client_id: String(DEFAULT_CLIENT.clientId), client_secret: DEFAULT_CLIENT.clientSecret }).toString()
    const reply = await tokenRequest(form, tokenKey)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.json().token_type).toBe('DPoP')
  })

  it('RFC 6749 §5.2 a wrong Basic secret -> 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const form = 'grant_type=client_credentials&scope=profile'
    const wrong = `Basic ${Buffer.from(`${DEFAULT_CLIENT.clientId}:wrong`).toString('base64')}`
    const reply = await tokenRequest(form, tokenKey, { headers: { authorization: wrong } })
    expect(reply.status).toBe(401)
    expect(reply.headers['www-authenticate']).toBe('Basic realm="token"')
    expect(reply.json().error).toBe('invalid_client')
  })

  it('RFC 9449 §5 a proof made for another htu -> 400 invalid_dpop_proof', async () => {
    const dpop = await createDpopProof(tokenKey, { htm: 'POST', htu: `${asUrl}/elsewhere` })
    const reply = await post('/token', `grant_type=client_credentials&client_id=${DEFAULT_CLIENT.clientId}&client_secret=${DEFAULT_CLIENT.clientSecret}`, { dpop })
    expect(reply.status).toBe(400)
    expect(reply.json().error).toBe('invalid_dpop_proof')
  })

  it('RFC 9449 §5 refreshing a bound token with a proof of another key -> 400 invalid_dpop_proof', async () => {
    const { refresh_token } = (await authorizationCodeToken()).json()
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token }).toString()
    const refused = await tokenRequest(form, otherKey, { headers: { authorization: basicAuth } })
    expect(refused.status).toBe(400)
    expect(refused.json().error).toBe('invalid_dpop_proof')
    const accepted = await tokenRequest(form, tokenKey, { headers: { authorization: basicAuth } })
    expect(accepted.status, accepted.text).toBe(200)
  })

  it('RFC 9449 §8 nonce: use_dpop_nonce with DPoP-Nonce, then success with the nonce (and DPoP-Nonce again)', async () => {
    const nonceAs = createAuthorizationServer({ authlete: authlete(), dpopNonceRequired: true })
    const form = `grant_type=client_credentials&scope=profile&client_id=${DEFAULT_CLIENT.clientId}&client_secret=${DEFAULT_CLIENT.clientSecret}`
    const req = async (nonce?: string) =>
      nonceAs.token({
        method: 'POST',
        url: '/token',
        headers: { host: 'as.example.com', 'content-type': 'application/x-www-form-urlencoded', dpop: await createDpopProof(tokenKey, { htm: 'POST', htu: 'https://as.example.com/token', ...(nonce ? { nonce } : {}) }) },
        encrypted: true,
      }, form)
    const first = await req()
    expect(first).toMatchObject({ done: true, status: 400, action: 'BAD_REQUEST' })
    expect(first.done && JSON.parse(first.body).error).toBe('use_dpop_nonce')
    const nonce = first.headers['DPoP-Nonce']
    expect(nonce).toBeTruthy()
    const second = await req(nonce)
    expect(second).toMatchObject({ done: true, status: 200, action: 'OK' })
    expect(second.headers['DPoP-Nonce']).toBeTruthy()
    await nonceAs.close()
  })
})

describe.each(drivers.map((d) => [d.name, d] as const))('the token from as.token() at a protected route of %s', (_name, driver) => {
  let app: ScenarioApp
  let accessToken: string
  beforeAll(async () => {
    app = await driver.start({ authlete: authlete(), trustProxy: false })
    accessToken = (await authorizationCodeToken()).json().access_token
  })
  afterAll(async () => {
    await app?.close()
  })

  it('RFC 9449 §7.1 accepted with a proof of the bound key', async () => {
    const before = app.routeRuns()
    const reply = await callRoute(app, accessToken, tokenKey)
    expect(reply.status, reply.text).toBe(200)
    expect(JSON.parse(reply.text)).toMatchObject({ sub: SUBJECT, tokenType: 'DPoP', scopes: ['openid', 'profile', 'write'] })
    expect(app.routeRuns() - before).toBe(1)
  })

  it('RFC 9449 §7.1 refused (401) with a proof of another key; the route never runs', async () => {
    const before = app.routeRuns()
    const reply = await callRoute(app, accessToken, otherKey)
    expect(reply.status, reply.text).toBe(401)
    expect(reply.wwwAuthenticate).toMatch(/^DPoP /)
    expect(reply.wwwAuthenticate).toMatch(/error="invalid_token"/)
    expect(app.routeRuns()).toBe(before)
  })
})

describe('PAR and UserInfo against the emulator', () => {
  it('RFC 9126 §2.2 PAR with a DPoP proof -> 201 with request_uri', async () => {
    const dpop = await createDpopProof(tokenKey, { htm: 'POST', htu: `${asUrl}/par` })
    const form = new URLSearchParams({ response_type: 'code', client_id: String(DEFAULT_CLIENT.clientId), redirect_uri: REDIRECT_URI, scope: 'openid' }).toString()
    const reply = await post('/par', form, { dpop, authorization: basicAuth })
    expect(reply.status, reply.text).toBe(201)
    expect(reply.json().request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    expect(reply.headers['cache-control']).toBe('no-store')
  })

  it('OIDC Core §5.3 UserInfo with the bound token: getClaims, then 200 JSON; another key -> 401', async () => {
    const { access_token: accessToken } = (await authorizationCodeToken()).json()
    const call = async (key: DpopKeyPair) => {
      const dpop = await createDpopProof(key, { htm: 'GET', htu: `${asUrl}/userinfo`, accessToken })
      const reply = await request(`${asUrl}/userinfo`, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
      return { status: reply.statusCode, headers: reply.headers, text: await reply.body.text() }
    }
    const ok = await call(tokenKey)
    expect(ok.status, ok.text).toBe(200)
    expect(ok.headers['content-type']).toBe('application/json')
    expect(JSON.parse(ok.text)).toMatchObject({ sub: SUBJECT, name: `${SUBJECT} (name)` })
    const refused = await call(otherKey)
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toMatch(/^DPoP /)
  })
})
