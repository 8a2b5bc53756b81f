import type { FormParameters } from './form'
import type { ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { EmulatorClient } from './types'

/** Outcome of {@link authenticateClient}. */
export type ClientAuthentication =
  | { ok: true; client: EmulatorClient; aliasUsed: boolean }
  | { ok: false; result: ResultEntry }

/**
 * Authenticate the client of a token, PAR or revocation request: `clientId`/`clientSecret` API
 * fields (what the authorization server took from HTTP Basic) or `client_id`/`client_secret` in
 * the form parameters. A client without a secret is public and authenticates by id alone. A
 * `client_id` parameter naming another client than the API field is `clientIdMismatch` (default
 * `unknownClient`).
 */
export function authenticateClient(
  store: EmulatorStore,
  body: Record<string, unknown>,
  form: FormParameters,
  codes: { unknownClient: ResultEntry; badSecret: ResultEntry; clientIdMismatch?: ResultEntry },
): ClientAuthentication {
  const id = body.clientId !== undefined && body.clientId !== null && body.clientId !== '' ? body.clientId : form.get('client_id')
  const found = id === undefined ? undefined : store.findClient(id)
  if (!found) return { ok: false, result: codes.unknownClient }
  // When both places name a client they must name the same one.
  const formId = form.get('client_id')
  if (formId !== undefined && store.findClient(formId)?.client !== found.client) return { ok: false, result: codes.clientIdMismatch ?? codes.unknownClient }

  const secret = typeof body.clientSecret === 'string' && body.clientSecret !== '' ? body.clientSecret : form.get('client_secret')
  const expected = found.client.clientSecret
  if (expected !== undefined && expected !== '' && secret !== expected) return { ok: false, result: codes.badSecret }
  return { ok: true, client: found.client, aliasUsed: found.aliasUsed }
}
