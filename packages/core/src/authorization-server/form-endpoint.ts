import { dpopNonceOf } from '../authlete/reply'
import { replyHeaderFault } from '../decision/decide'
import { noStoreHeaders } from '../decision/response-headers'
import { asGuardError, AuthleteGuardError } from '../errors'
import type { CommonContext } from '../options'
import { requestPath, resolvePublicUrl } from '../request/public-url'
import { readClientCertificate } from '../request/client-certificate'
import { extractDpopProof } from '../request/credentials'
import type { Reporter } from '../report'
import type { AuthleteClient, RequestLike } from '../types'
import { readClientCredentials, type ClientCredentials } from './client-credentials'
import { formBodyFault } from './form-body'
import { jsonResponse, oauthError, serverError } from './response'
import type { FinishedResponse } from './types'

/** What the endpoints need from the server's configuration. */
export interface EndpointContext extends CommonContext {
  authlete: AuthleteClient
  /** Reports infrastructure failures (to `onError`, else rate-limited to `console.warn`). */
  report: Reporter
  dpopNonceRequired: boolean | undefined
}

/** How one endpoint maps Authlete's actions. */
export interface FormEndpointSpec {
  /** Authlete API path: `/auth/token`, `/pushed_auth_req`. */
  path: string
  /** `operation` reported to `onError`. */
  operation: string
  /** Action -> status of the answers the endpoint gives itself. */
  statuses: Readonly<Record<string, number>>
  /** The action meaning "client authentication failed": 401 with a `Basic` challenge when the client used Basic, else 400. */
  clientAuthFailure: string
  /** Default realm of the `Basic` challenge. */
  realm: string
  /** Actions handed back to the application instead of answered. */
  appActions?: readonly string[]
}

/** The body sent to `/auth/token` or `/pushed_auth_req` (Authlete's JSON names). */
export interface FormEndpointRequest {
  parameters: string
  clientId?: string
  clientSecret?: string
  clientCertificate?: string
  /** The certificates after `clientCertificate` (intermediates), PEM; API V3 only (see `certificateFields`). */
  clientCertificatePath?: string[]
  dpop?: string
  htm?: string
  htu?: string
  dpopNonceRequired?: boolean
}

/** The members of an Authlete reply every endpoint reads. */
export interface AuthleteReply<Action extends string> {
  action: Action
  resultCode?: string
  responseContent?: string | null
  dpopNonce?: string | null
}

export type FormEndpointResult<Action extends string, Reply> =
  | FinishedResponse<Action, Reply>
  | { done: false; action: Action; authlete: Reply; headers: Record<string, string> }

function toText(rawFormBody: string | Uint8Array): string {
  if (typeof rawFormBody === 'string') return rawFormBody
  if (rawFormBody instanceof Uint8Array) return new TextDecoder().decode(rawFormBody)
  throw new AuthleteGuardError(
    'ERR_INVALID_CONFIG',
    'The form body must be the raw application/x-www-form-urlencoded text (string or bytes), not a parsed object.',
  )
}

/**
 * Shared by the token and PAR endpoints: form body, `Authorization: Basic`, client certificate
 * (with its chain) and the single DPoP proof with its `htm`/`htu` go to Authlete; its action
 * becomes the answer. Local refusals (RFC 9449 §4.3 two proofs, unreadable Basic, a certificate
 * that does not parse) never reach Authlete; any Authlete failure is a generic 500, reported to `onError`.
 */
export async function handleFormEndpoint<Action extends string, Reply extends AuthleteReply<Action>>(
  context: EndpointContext,
  spec: FormEndpointSpec,
  request: RequestLike,
  rawFormBody: string | Uint8Array,
): Promise<FormEndpointResult<Action, Reply>> {
  const prepared = prepareFormRequest<Action, Reply>(context, spec, request, toText(rawFormBody))
  if ('done' in prepared) return prepared
  const report = (cause: AuthleteGuardError) => context.report(cause, spec.operation, request, prepared.path)
  let reply: Reply
  try {
    reply = await context.authlete.call<Reply>(spec.path, prepared.body)
  } catch (error) {
    return failed(asGuardError(error, `${spec.operation} request`), report)
  }
  return answerFormEndpoint<Action, Reply>(context, spec, reply, prepared.credentials, report)
}

/** A refusal the endpoint gives itself, before any call to Authlete. */
function refuse<Action extends string, Reply>(status: number, error: string, description: string, challenge?: string): FinishedResponse<Action, Reply> {
  return { done: true, action: undefined, ...jsonResponse(status, oauthError(error, description), { challenge }) }
}

/** The `Basic` challenge of the endpoint (RFC 6749 §5.2). */
const basicChallenge = (context: EndpointContext, spec: FormEndpointSpec) => `Basic realm="${context.realm ?? spec.realm}"`

/** The body for Authlete, with the request path for reports; or the endpoint's own refusal. */
function prepareFormRequest<Action extends string, Reply>(
  context: EndpointContext,
  spec: FormEndpointSpec,
  request: RequestLike,
  parameters: string,
): FinishedResponse<Action, Reply> | { body: FormEndpointRequest; path: string; credentials: ClientCredentials } {
  const bodyFault = formBodyFault(request, true)
  if (bodyFault) return refuse(400, 'invalid_request', bodyFault)
  const credentials = readClientCredentials(request)
  if (credentials.kind === 'ambiguous') return refuse(400, 'invalid_request', credentials.description)
  // RFC 6749 §5.2: a client that tried HTTP Basic and failed gets 401 with a Basic challenge.
  if (credentials.kind === 'malformed') return refuse(401, 'invalid_client', credentials.description, basicChallenge(context, spec))
  // RFC 9449 §4.3 check 1 / §5: at the authorization server a bad proof is 400 invalid_dpop_proof.
  const proof = extractDpopProof(request)
  if (!proof.ok) return refuse(400, 'invalid_dpop_proof', proof.description)

  const body: FormEndpointRequest = { parameters }
  if (credentials.kind === 'basic') {
    body.clientId = credentials.clientId
    body.clientSecret = credentials.clientSecret
  }
  const certificate = certificateFields(context, request)
  if (typeof certificate === 'string') return refuse(400, 'invalid_request', certificate)
  Object.assign(body, certificate)
  let path = requestPath(request.url)
  if (proof.dpop !== undefined) {
    const url = resolvePublicUrl(request, { fixed: context.fixed, trustProxy: context.trustProxy })
    if (!url.ok) return refuse(400, 'invalid_request', url.reason)
    path = url.path
    body.dpop = proof.dpop
    body.htm = request.method.toUpperCase()
    body.htu = url.htu
  }
  // Only `true` is sent: `false` means what absence means (the service's setting), and API V2 has no such member.
  if (context.dpopNonceRequired === true) body.dpopNonceRequired = true
  return { body, path, credentials }
}

/**
 * The request's certificate from the server's `clientCertificate` source, as Authlete's members:
 * `clientCertificate` (PEM) and, when the client presented more, `clientCertificatePath` (the
 * certificates after it, as Authlete's own handlers send it). The 2.3.12 API declares
 * `clientCertificatePath` a string, so on API V2 it is left out. A string is the refusal.
 */
function certificateFields(context: EndpointContext, request: RequestLike): Pick<FormEndpointRequest, 'clientCertificate' | 'clientCertificatePath'> | string {
  const reading = readClientCertificate(request, context.clientCertificate ?? 'tls', context.trustProxy, { chain: true })
  if (!reading.ok) return reading.description
  if (!reading.certificate) return {}
  const chain = reading.certificate.chain ?? []
  const withPath = chain.length > 0 && context.authlete.apiVersion === 'V3'
  return withPath ? { clientCertificate: reading.certificate.pem, clientCertificatePath: chain } : { clientCertificate: reading.certificate.pem }
}

/** A generic 500 for an infrastructure failure or an unusable reply, reported. */
function failed<Action extends string, Reply>(cause: AuthleteGuardError, report: (cause: AuthleteGuardError) => void, reply?: Reply): FinishedResponse<Action, Reply> {
  report(cause)
  return { done: true, action: undefined, authlete: reply, ...serverError(cause) }
}

/** Authlete's reply as the endpoint's answer: its `responseContent` with the action's status, or handed back (`appActions`). */
function answerFormEndpoint<Action extends string, Reply extends AuthleteReply<Action>>(
  context: EndpointContext,
  spec: FormEndpointSpec,
  reply: Reply,
  credentials: ClientCredentials,
  report: (cause: AuthleteGuardError) => void,
): FormEndpointResult<Action, Reply> {
  const resultCode = typeof reply.resultCode === 'string' ? reply.resultCode : undefined
  const action: unknown = reply.action
  if (typeof action !== 'string') {
    return failed(new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's ${spec.operation} reply has no action.`, { resultCode }), report)
  }
  const headerFault = replyHeaderFault(reply, false)
  if (headerFault) return failed(headerFault, report)
  const dpopNonce = dpopNonceOf(reply)
  const known = action as Action
  if (spec.appActions?.includes(action)) {
    return { done: false, action: known, authlete: reply, headers: noStoreHeaders('application/json', dpopNonce) }
  }
  const status = Object.hasOwn(spec.statuses, action) ? spec.statuses[action]! : undefined
  if (status === undefined) {
    return failed(new AuthleteGuardError('ERR_AUTHLETE_UNKNOWN_ACTION', `Authlete answered ${spec.operation} with an unknown action: ${action.slice(0, 64)}.`, { resultCode }), report)
  }
  const content: unknown = reply.responseContent
  if (typeof content !== 'string' || content === '') {
    return failed(new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's ${spec.operation} reply (${action}) has no responseContent.`, { resultCode }), report, reply)
  }
  const finished: FinishedResponse<Action, Reply> = { done: true, action: known, authlete: reply, ...jsonResponse(status, content, { dpopNonce }) }
  if (action === spec.clientAuthFailure) {
    // RFC 6749 §5.2: 401 + a challenge of the scheme the client used; a client that used no
    // Authorization header (form credentials, public client) gets 400.
    if (credentials.kind === 'basic') finished.headers['WWW-Authenticate'] = basicChallenge(context, spec)
    else finished.status = 400
  }
  if (status === 500) {
    // Authlete's own error: its responseContent is written for the client; the cause is for logs.
    finished.cause = new AuthleteGuardError('ERR_AUTHLETE_REPORTED_ERROR', `Authlete reported an internal error in ${spec.operation} (${resultCode ?? 'no result code'}).`, { resultCode })
    report(finished.cause)
  }
  return finished
}
