import { denyCredentials, denyForAction, denyServerError, replyHeaderFault, stringArray } from '../decision'
import { AuthleteGuardError, isAuthleteGuardError } from '../errors'
import { extractIntrospectionRequest } from '../extract'
import type { DenyDecision, IntrospectionResponse, RequestLike } from '../types'
import type { EndpointContext } from './form-endpoint'
import { dpopNonceOf, noStoreHeaders } from '../response-headers'
import { formBodyFault } from './form-body'
import type { GetClaims, GetUserInfoSub, UserInfoAction, UserInfoResult } from './types'

/** Content types of the two successful `/auth/userinfo/issue` actions (OIDC Core §5.3.2). */
const ISSUED_CONTENT_TYPES: Record<string, string> = { JSON: 'application/json', JWT: 'application/jwt' }

/** The body sent to `/auth/userinfo` (Authlete's JSON names). */
export interface UserInfoRequestBody {
  token: string
  clientCertificate?: string
  dpop?: string
  htm?: string
  htu?: string
  dpopNonceRequired?: boolean
}

/** The language tags of claim names such as `name#ja` (OIDC Core §5.2), each once. */
export function claimLocales(claimNames: readonly string[]): string[] {
  const tags = new Set<string>()
  for (const name of claimNames) {
    const hash = name.indexOf('#')
    if (hash > 0 && hash < name.length - 1) tags.add(name.slice(hash + 1))
  }
  return [...tags]
}


function fromDenial(denial: DenyDecision, action: UserInfoAction | undefined, raw?: Record<string, unknown>): UserInfoResult {
  const { status, headers, body, cause } = denial
  const result: UserInfoResult = { done: true, action, status, headers, body }
  if (raw) result.authlete = raw
  if (cause) result.cause = cause
  return result
}

/**
 * UserInfo endpoint (OIDC Core §5.3) in Authlete's two steps. The access token and DPoP proof are
 * read exactly as on a protected resource (RFC 6750 §2.1, RFC 9449 §7), so local refusals and
 * `/auth/userinfo` errors are the guard's denials (`WWW-Authenticate` = `responseContent`). On
 * `OK`, `getClaims` collects the claims and `/auth/userinfo/issue` renders them as JSON or a JWT.
 */
export async function handleUserInfo(
  context: EndpointContext,
  request: RequestLike,
  getClaims: GetClaims | undefined,
  getSub?: GetUserInfoSub | undefined,
): Promise<UserInfoResult> {
  const extraction = extractIntrospectionRequest(request, { dpopNonceRequired: context.dpopNonceRequired }, context)
  if (!extraction.ok) return fromDenial(extraction.denial, undefined)
  // A POST with a body must be a form (OIDC Core §5.3.1, RFC 6750 §2.2); nothing else is read.
  const bodyFault = formBodyFault(request, false)
  if (bodyFault) {
    return fromDenial(denyCredentials({ ok: false, kind: 'invalid_request', description: bodyFault, scheme: extraction.scheme }, context), undefined)
  }
  const { scheme, path } = extraction
  // /auth/userinfo takes the introspection fields minus the route requirements and targetUri.
  const { token, clientCertificate, dpop, htm, htu, dpopNonceRequired } = extraction.body
  const body: UserInfoRequestBody = { token }
  if (clientCertificate !== undefined) body.clientCertificate = clientCertificate
  if (dpop !== undefined) Object.assign(body, { dpop, htm, htu })
  if (dpopNonceRequired !== undefined) body.dpopNonceRequired = dpopNonceRequired

  const challenge = { ...context, scheme }
  const fail = (cause: AuthleteGuardError) => {
    context.report(cause, 'userinfo', request, path)
    return fromDenial(denyServerError(cause, scheme, challenge), undefined)
  }
  const call = async (apiPath: string, payload: unknown): Promise<Record<string, unknown>> => {
    const reply = await context.authlete.call<Record<string, unknown>>(apiPath, payload)
    if (typeof reply.action !== 'string') {
      throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's ${apiPath} reply has no action.`, { resultCode: typeof reply.resultCode === 'string' ? reply.resultCode : undefined })
    }
    return reply
  }
  const asFailure = (error: unknown, what: string) =>
    isAuthleteGuardError(error) ? error : new AuthleteGuardError('ERR_INTERNAL', `The ${what} failed unexpectedly inside authlete-guard.`, { cause: error })

  let info: Record<string, unknown>
  try {
    info = await call('/auth/userinfo', body)
  } catch (error) {
    return fail(asFailure(error, 'userinfo request'))
  }
  // Same table as introspection: BAD_REQUEST 400, UNAUTHORIZED 401, FORBIDDEN 403, INTERNAL_SERVER_ERROR 500.
  const verdict = denyForAction(info as IntrospectionResponse, challenge)
  if (verdict) {
    if (verdict.cause) context.report(verdict.cause, 'userinfo', request, path)
    return fromDenial(verdict, verdict.cause?.code === 'ERR_AUTHLETE_UNKNOWN_ACTION' ? undefined : (info.action as UserInfoAction), info)
  }
  const infoFault = replyHeaderFault(info, false)
  if (infoFault) return fail(infoFault)
  const firstNonce = dpopNonceOf(info)
  const subject = typeof info.subject === 'string' && info.subject !== '' ? info.subject : undefined
  if (subject === undefined) return fail(new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s /auth/userinfo reply (OK) has no subject.'))

  const userInfoContext = {
    clientId: typeof info.clientId === 'number' ? info.clientId : undefined,
    scopes: stringArray(info.scopes) ?? [],
    userInfoClaims: typeof info.userInfoClaims === 'string' ? info.userInfoClaims : undefined,
    raw: info,
  }
  let claims: Record<string, unknown>
  let sub: string | undefined
  let callback = 'getClaims'
  try {
    const claimNames = stringArray(info.claims) ?? []
    const collected = getClaims ? await getClaims(subject, claimNames, claimLocales(claimNames), userInfoContext) : {}
    if (collected !== null && collected !== undefined && (typeof collected !== 'object' || Array.isArray(collected))) {
      throw new TypeError('getClaims must return an object of claims.')
    }
    claims = collected ?? {}
    callback = 'getSub'
    sub = getSub ? (await getSub(subject, userInfoContext)) ?? undefined : undefined
    if (sub !== undefined && (typeof sub !== 'string' || sub === '')) throw new TypeError('getSub must return a non-empty string or undefined.')
  } catch (error) {
    return fail(new AuthleteGuardError('ERR_CALLBACK_FAILED', `The ${callback} callback failed.`, { cause: error }))
  }

  // Only the application's own `sub` is sent: a non-empty `sub` replaces the subject Authlete would
  // put in the claims (a pairwise subject would otherwise leak the internal user id).
  const issueBody: { token: string; claims: string; sub?: string } = { token, claims: JSON.stringify(claims) }
  if (sub !== undefined) issueBody.sub = sub
  let issued: Record<string, unknown>
  try {
    issued = await call('/auth/userinfo/issue', issueBody)
  } catch (error) {
    return fail(asFailure(error, 'userinfo issue request'))
  }
  const dpopNonce = dpopNonceOf(issued) ?? firstNonce
  const contentType = ISSUED_CONTENT_TYPES[issued.action as string]
  if (contentType === undefined) {
    // Error actions map like /auth/userinfo's; OK is not an issue action, so it is unknown here.
    const denial = issued.action === 'OK'
      ? denyServerError(new AuthleteGuardError('ERR_AUTHLETE_UNKNOWN_ACTION', 'Authlete answered /auth/userinfo/issue with an unknown action: OK.'), scheme, challenge)
      : denyForAction({ ...(issued as IntrospectionResponse), dpopNonce: dpopNonce ?? null }, challenge)!
    const cause = (denial as DenyDecision).cause
    if (cause) context.report(cause, 'userinfo', request, path)
    return fromDenial(denial as DenyDecision, cause?.code === 'ERR_AUTHLETE_UNKNOWN_ACTION' ? undefined : (issued.action as UserInfoAction), issued)
  }
  const issuedFault = replyHeaderFault(issued, false)
  if (issuedFault) return fail(issuedFault)
  if (typeof issued.responseContent !== 'string' || issued.responseContent === '') {
    return fail(new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's /auth/userinfo/issue reply (${String(issued.action)}) has no responseContent.`))
  }
  return {
    done: true,
    action: issued.action as UserInfoAction,
    authlete: issued,
    status: 200,
    headers: noStoreHeaders(contentType, dpopNonce),
    body: issued.responseContent,
  }
}
