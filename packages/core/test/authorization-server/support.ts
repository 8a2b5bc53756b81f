import type { RequestLike } from '../../src'

/** A syntactically valid compact JWS, for tests where Authlete (the stub) judges the proof. */
export const JWT = 'eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJQT1NUIn0.c2ln'
export const SERVICE_ID = '715948317'
export const SERVICE_TOKEN = 'service-access-token-xyz'

/** Header names lower-cased, for comparing with the vectors. */
export function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
}

/** `Authorization: Basic` for a client id and secret, encoded as RFC 6749 §2.3.1 says (form-urlencoded first). */
export function basic(clientId: string, clientSecret: string): string {
  const form = (v: string) => new URLSearchParams({ v }).toString().slice(2)
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`
}

/** A token-endpoint style POST on https://as.example.com. */
export function post(path: string, headers: RequestLike['headers'] = {}, extra: Partial<RequestLike> = {}): RequestLike {
  return { method: 'POST', url: path, headers: { host: 'as.example.com', 'content-type': 'application/x-www-form-urlencoded', ...headers }, encrypted: true, ...extra }
}
