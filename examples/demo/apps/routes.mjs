/**
 * The demo API: the same three routes in every framework.
 * - GET /api/me     needs scope "profile"
 * - GET /api/admin  needs scope "admin" (the demo token lacks it: 403)
 * - GET /api/nonce  needs scope "profile" and a server-provided DPoP nonce (RFC 9449 §9)
 */
export const ROUTES = [
  { path: '/api/me', options: { scopes: ['profile'] } },
  { path: '/api/admin', options: { scopes: ['admin'] } },
  { path: '/api/nonce', options: { scopes: ['profile'], dpopNonceRequired: true } },
]

/** What each route answers: what it read from the introspection. */
export function principal(auth) {
  return { subject: auth.subject ?? null, clientId: auth.clientId, scopes: auth.scopes, tokenType: auth.tokenType }
}
