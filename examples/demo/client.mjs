import { createDpopKeyPair, createDpopProof } from '@authlete-guard/emulator'
import * as t from './transcript.mjs'

async function send(method, url, headers = {}, body) {
  t.request(method, url, headers, body)
  const res = await fetch(url, { method, headers, body })
  const text = await res.text()
  t.response(res, text)
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { res, text, json }
}

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/**
 * The scripted DPoP client: each step prints what goes over the wire and checks the answer.
 * Returns the number of steps that did not behave as expected.
 */
export async function runClient({ tokenUrl, apiUrl, client, grant }) {
  const key = await createDpopKeyPair('ES256')
  const otherKey = await createDpopKeyPair('ES256')
  let failures = 0
  const check = (ok, text) => {
    if (!t.verdict(ok, text)) failures++
    return ok
  }

  t.step(1, 'Get a DPoP-bound access token at the token endpoint (RFC 9449 §5)')
  t.note(`The client made an ES256 key pair; its public key goes in every proof (jkt ${key.thumbprint}).`)
  const form = new URLSearchParams(grant).toString()
  const tokenHeaders = () => ({ 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.clientId, client.clientSecret) })
  let token = await send('POST', tokenUrl, { ...tokenHeaders(), dpop: await createDpopProof(key, { htm: 'POST', htu: tokenUrl }) }, form)
  const tokenNonce = token.res.headers.get('dpop-nonce')
  if (token.res.status === 400 && token.json?.error === 'use_dpop_nonce' && tokenNonce) {
    t.note('The server wants a nonce in the proof: retry with the DPoP-Nonce it sent.')
    token = await send('POST', tokenUrl, { ...tokenHeaders(), dpop: await createDpopProof(key, { htm: 'POST', htu: tokenUrl, nonce: tokenNonce }) }, form)
  }
  if (!check(token.res.status === 200 && token.json?.token_type === 'DPoP', `200 with "token_type":"DPoP": the token is bound to the client's key`)) {
    return failures + 5
  }
  const accessToken = token.json.access_token

  const call = async (path, { proofKey = key, scheme = 'DPoP', nonce } = {}) => {
    const url = `${apiUrl}${path}`
    const headers = { authorization: `${scheme} ${accessToken}` }
    if (proofKey) headers.dpop = await createDpopProof(proofKey, { htm: 'GET', htu: url, accessToken, nonce })
    return send('GET', url, headers)
  }

  t.step(2, 'Call a protected route with the token and a fresh proof (htm, htu, ath)')
  const me = await call('/api/me')
  check(me.res.status === 200 && Array.isArray(me.json?.scopes), `200: the route read subject ${JSON.stringify(me.json?.subject)} and scopes ${JSON.stringify(me.json?.scopes)} from Authlete's introspection`)

  t.step(3, 'Call a route that needs a scope the token lacks')
  const admin = await call('/api/admin')
  check(admin.res.status === 403 && /insufficient_scope/.test(admin.res.headers.get('www-authenticate') ?? ''), '403 insufficient_scope: the token is valid but does not cover "admin"')

  t.step(4, 'Present the token with a proof signed by another key (a stolen token)')
  const stolen = await call('/api/me', { proofKey: otherKey })
  check(stolen.res.status === 401, "401: the proof's key does not match the key the token is bound to")

  t.step(5, 'Present the DPoP-bound token as a Bearer token (downgrade attempt, RFC 9449 §7.2)')
  const downgrade = await call('/api/me', { proofKey: null, scheme: 'Bearer' })
  check(downgrade.res.status === 401, '401: a DPoP-bound token is refused without its proof')

  t.step(6, 'Call a route that requires a server-provided nonce (RFC 9449 §9)')
  const first = await call('/api/nonce')
  const nonce = first.res.headers.get('dpop-nonce')
  check(first.res.status === 401 && /use_dpop_nonce/.test(first.res.headers.get('www-authenticate') ?? '') && !!nonce, '401 use_dpop_nonce with a DPoP-Nonce header')
  if (nonce) {
    t.note('Retry with the nonce inside a new proof.')
    const retry = await call('/api/nonce', { nonce })
    check(retry.res.status === 200, `200 after the retry${retry.res.headers.get('dpop-nonce') ? ', with the next DPoP-Nonce for later requests' : ''}`)
  } else {
    failures++
  }
  return failures
}
