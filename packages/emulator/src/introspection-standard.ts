import { parseForm } from './form'
import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse } from './types'

/**
 * `/auth/introspection/standard` (RFC 7662): `parameters` is the introspection request form
 * (`token`, `token_type_hint`); `responseContent` is the RFC 7662 JSON, with `cnf.jkt` for
 * DPoP-bound tokens (RFC 9449 §6.2) and `cnf["x5t#S256"]` for certificate-bound ones (RFC 8705 §3.2).
 */
export function handleStandardIntrospection(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const respond = (action: string, result: ResultEntry, responseContent: string): ApiResponse => ({
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
  })
  const error = (result: ResultEntry) =>
    JSON.stringify({ error: 'invalid_request', error_description: formatResultMessage(result) })

  if (typeof body.parameters !== 'string') return respond('INTERNAL_SERVER_ERROR', RESULTS.standardIntrospectionMissingParameters, error(RESULTS.standardIntrospectionMissingParameters))
  const form = parseForm(body.parameters)
  const token = form.get('token')
  if (!token) return respond('BAD_REQUEST', RESULTS.standardIntrospectionMissingToken, error(RESULTS.standardIntrospectionMissingToken))

  const now = store.now()
  const hint = form.get('token_type_hint')
  const byAccess = store.byAccessToken.get(token)
  const byRefresh = store.byRefreshToken.get(token)
  const record = hint === 'refresh_token' ? (byRefresh ?? byAccess) : (byAccess ?? byRefresh)
  const isRefresh = record !== undefined && record.refreshToken === token
  const expiresAt = isRefresh ? (record.refreshTokenExpiresAt ?? 0) : (record?.expiresAt ?? 0)
  if (!record || expiresAt <= now) return respond('OK', RESULTS.standardIntrospectionOk, JSON.stringify({ active: false }))

  const client = store.clients.get(record.clientId)
  const content: Record<string, unknown> = {
    active: true,
    scope: record.scopes.join(' '),
    client_id: client?.clientIdAlias && record.clientIdAliasUsed ? client.clientIdAlias : String(record.clientId),
    token_type: isRefresh ? 'refresh_token' : record.jkt ? 'DPoP' : 'Bearer',
    exp: Math.floor(expiresAt / 1000),
    iat: Math.floor(record.createdAt / 1000),
    sub: record.subject,
    aud: record.resources,
    iss: store.settings.issuer,
  }
  const cnf = { ...(record.jkt ? { jkt: record.jkt } : {}), ...(record.certificateThumbprint ? { 'x5t#S256': record.certificateThumbprint } : {}) }
  if (Object.keys(cnf).length > 0) content.cnf = cnf
  return respond('OK', RESULTS.standardIntrospectionOk, JSON.stringify(content))
}
