import { oauthErrorBody } from './challenge'
import { authenticateClient } from './client-auth'
import { parseForm } from './form'
import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse } from './types'

type RevocationAction = 'OK' | 'BAD_REQUEST' | 'INVALID_CLIENT' | 'INTERNAL_SERVER_ERROR'

/**
 * `/auth/revocation` (RFC 7009): authenticate the client, then delete the grant the token
 * (access or refresh, whatever `token_type_hint` says) belongs to. An unknown token, or one of
 * another client, is answered `OK` without effect, as RFC 7009 §2.2 requires.
 */
export function handleRevocation(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const respond = (action: RevocationAction, result: ResultEntry, responseContent: string | undefined): ApiResponse => ({
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
  })
  const fail = (action: RevocationAction, error: string, result: ResultEntry) => respond(action, result, oauthErrorBody(error, result))

  if (typeof body.parameters !== 'string') return fail('INTERNAL_SERVER_ERROR', 'server_error', RESULTS.revocationMissingParameters)
  const form = parseForm(body.parameters)
  const auth = authenticateClient(store, body, form, { unknownClient: RESULTS.revocationUnknownClient, badSecret: RESULTS.revocationBadClientSecret })
  if (!auth.ok) return fail('INVALID_CLIENT', 'invalid_client', auth.result)
  const token = form.get('token')
  if (!token) return fail('BAD_REQUEST', 'invalid_request', RESULTS.revocationMissingToken)

  const record = store.byAccessToken.get(token) ?? store.byRefreshToken.get(token)
  if (record && record.clientId === auth.client.clientId) store.remove(record)
  return respond('OK', RESULTS.revocationOk, undefined)
}
