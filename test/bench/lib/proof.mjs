// ES256 DPoP proofs (RFC 9449 §4.2) signed with node:crypto, and the raw HTTP/1.1 requests that
// carry them. Used by the load generator's signing workers and, for a few proofs, its main thread.
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto'

const b64u = (value) => Buffer.from(value).toString('base64url')

export const ath = (token) => createHash('sha256').update(token).digest('base64url')

/** `client`: { privateJwk, publicJwk }; returns proof(htm, htu, ath) -> compact JWS. */
export function proofSigner(client) {
  const key = createPrivateKey({ key: client.privateJwk, format: 'jwk' })
  const header = b64u(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: client.publicJwk }))
  return (htm, htu, accessTokenHash) => {
    const payload = b64u(JSON.stringify({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ath: accessTokenHash }))
    const input = `${header}.${payload}`
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
  }
}

/** One request as the load sends it (ASCII: byte length = string length). */
export const requestText = ({ htm, path, host, token, proof }) =>
  `${htm} ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: DPoP ${token}\r\nDPoP: ${proof}\r\n\r\n`
