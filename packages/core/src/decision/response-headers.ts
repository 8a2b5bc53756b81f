/**
 * The headers every answer that carries an OAuth result has (RFC 6750 §3, RFC 6749 §5.1,
 * RFC 9449 §8): the content type, no caching, and `DPoP-Nonce` whenever Authlete gave a nonce.
 * Denials of the guard and the authorization-server endpoints' answers alike.
 */
export function noStoreHeaders(contentType: string, dpopNonce: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  }
  if (dpopNonce) headers['DPoP-Nonce'] = dpopNonce
  return headers
}
