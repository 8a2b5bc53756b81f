import { dpopNonceOf } from '../authlete/reply'
import { stringArray } from '../decision/access-token-info'
import { denyForAction, replyHeaderFault } from '../decision/decide'
import { denyCredentials, denyServerError } from '../decision/deny'
import { noStoreHeaders } from '../decision/response-headers'
import { asGuardError, AuthleteGuardError, isAuthleteGuardError } from '../errors'
import { extractIntrospectionRequest } from '../request/extract'
import type { SchemeChallenge } from '../decision/challenge'
import type { DenyDecision, IntrospectionResponse, RequestLike } from '../types'
import type { EndpointContext } from './form-endpoint'
import { formBodyFault } from './form-body'
import type { GetClaims, GetUserInfoSub, UserInfoAction, UserInfoContext, UserInfoResult } from './types'

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
  const read = readUserInfoRequest(context, request)
  if ('done' in read) return read
  const answer = answers(context, request, read.scheme, read.path)
  const info = await callUserInfoApi(context, '/auth/userinfo', read.body, 'userinfo request')
  if (isAuthleteGuardError(info)) return answer.fail(info)
  // Same table as introspection: BAD_REQUEST 400, UNAUTHORIZED 401, FORBIDDEN 403, INTERNAL_SERVER_ERROR 500.
  const verdict = denyForAction(info as IntrospectionResponse, answer.challenge)
  if (verdict) return answer.refuse(verdict, info)
  const subject = subjectOf(info)
  if (isAuthleteGuardError(subject)) return answer.fail(subject)
  const collected = await collectClaims(subject, info, getClaims, getSub)
  if (isAuthleteGuardError(collected)) return answer.fail(collected)
  const issued = await callUserInfoApi(context, '/auth/userinfo/issue', issueBody(read.body.token, collected), 'userinfo issue request')
  if (isAuthleteGuardError(issued)) return answer.fail(issued)
  return issuedAnswer(issued, dpopNonceOf(info), answer)
}

/** The `/auth/userinfo` body of a request, or its local refusal (as on a protected resource). */
function readUserInfoRequest(context: EndpointContext, request: RequestLike): UserInfoResult | { scheme: 'DPoP' | 'Bearer'; path: string; body: UserInfoRequestBody } {
  const extraction = extractIntrospectionRequest(request, { dpopNonceRequired: context.dpopNonceRequired }, context)
  if (!extraction.ok) return fromDenial(denyCredentials(extraction, context), undefined)
  // A POST with a body must be a form (OIDC Core §5.3.1, RFC 6750 §2.2); nothing else is read.
  const bodyFault = formBodyFault(request, false)
  if (bodyFault) {
    return fromDenial(denyCredentials({ ok: false, kind: 'invalid_request', description: bodyFault, scheme: extraction.scheme }, context), undefined)
  }
  // /auth/userinfo takes the introspection fields minus the route requirements and targetUri.
  const { token, clientCertificate, dpop, htm, htu, dpopNonceRequired } = extraction.body
  const body: UserInfoRequestBody = { token }
  if (clientCertificate !== undefined) body.clientCertificate = clientCertificate
  if (dpop !== undefined) Object.assign(body, { dpop, htm, htu })
  if (dpopNonceRequired !== undefined) body.dpopNonceRequired = dpopNonceRequired
  return { scheme: extraction.scheme, path: extraction.path, body }
}

/** How one UserInfo request is answered when it does not succeed: a 500 (reported), or Authlete's refusal. */
interface Answers {
  challenge: SchemeChallenge
  fail(cause: AuthleteGuardError): UserInfoResult
  refuse(denial: DenyDecision, reply: Record<string, unknown>): UserInfoResult
}

function answers(context: EndpointContext, request: RequestLike, scheme: 'DPoP' | 'Bearer', path: string): Answers {
  const challenge = { ...context, scheme }
  return {
    challenge,
    fail(cause) {
      context.report(cause, 'userinfo', request, path)
      return fromDenial(denyServerError(cause, scheme, challenge), undefined)
    },
    refuse(denial, reply) {
      if (denial.cause) context.report(denial.cause, 'userinfo', request, path)
      return fromDenial(denial, denial.cause?.code === 'ERR_AUTHLETE_UNKNOWN_ACTION' ? undefined : (reply.action as UserInfoAction), reply)
    },
  }
}

/** One call to Authlete's UserInfo APIs: its reply (with an `action`), or the fault. */
async function callUserInfoApi(context: EndpointContext, apiPath: string, payload: unknown, what: string): Promise<Record<string, unknown> | AuthleteGuardError> {
  try {
    const reply = await context.authlete.call<Record<string, unknown>>(apiPath, payload)
    if (typeof reply.action !== 'string') {
      return new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's ${apiPath} reply has no action.`, { resultCode: typeof reply.resultCode === 'string' ? reply.resultCode : undefined })
    }
    return reply
  } catch (error) {
    return asGuardError(error, what)
  }
}

/** The subject of `/auth/userinfo`'s OK, or the fault: header values not safe to write, or no subject. */
function subjectOf(info: Record<string, unknown>): string | AuthleteGuardError {
  const fault = replyHeaderFault(info, false)
  if (fault) return fault
  if (typeof info.subject === 'string' && info.subject !== '') return info.subject
  return new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s /auth/userinfo reply (OK) has no subject.')
}

/** The application's claims (`getClaims`) and `sub` (`getSub`) for `subject`; a callback that throws or answers wrongly is `ERR_CALLBACK_FAILED`. */
async function collectClaims(
  subject: string,
  info: Record<string, unknown>,
  getClaims: GetClaims | undefined,
  getSub: GetUserInfoSub | undefined,
): Promise<{ claims: Record<string, unknown>; sub: string | undefined } | AuthleteGuardError> {
  const userInfoContext: UserInfoContext = {
    clientId: typeof info.clientId === 'number' ? info.clientId : undefined,
    scopes: stringArray(info.scopes) ?? [],
    userInfoClaims: typeof info.userInfoClaims === 'string' ? info.userInfoClaims : undefined,
    raw: info,
  }
  let callback = 'getClaims'
  try {
    const claimNames = stringArray(info.claims) ?? []
    const collected = getClaims ? await getClaims(subject, claimNames, claimLocales(claimNames), userInfoContext) : {}
    if (collected !== null && collected !== undefined && (typeof collected !== 'object' || Array.isArray(collected))) {
      throw new TypeError('getClaims must return an object of claims.')
    }
    callback = 'getSub'
    const sub = getSub ? (await getSub(subject, userInfoContext)) ?? undefined : undefined
    if (sub !== undefined && (typeof sub !== 'string' || sub === '')) throw new TypeError('getSub must return a non-empty string or undefined.')
    return { claims: collected ?? {}, sub }
  } catch (error) {
    return new AuthleteGuardError('ERR_CALLBACK_FAILED', `The ${callback} callback failed.`, { cause: error })
  }
}

/**
 * The `/auth/userinfo/issue` body. Only the application's own `sub` is sent: a non-empty `sub`
 * replaces the subject Authlete would put in the claims (a pairwise subject would otherwise leak
 * the internal user id).
 */
function issueBody(token: string, { claims, sub }: { claims: Record<string, unknown>; sub: string | undefined }): { token: string; claims: string; sub?: string } {
  const body: { token: string; claims: string; sub?: string } = { token, claims: JSON.stringify(claims) }
  if (sub !== undefined) body.sub = sub
  return body
}

/** The answer to `/auth/userinfo/issue`'s reply: the claims as JSON or a JWT, Authlete's refusal, or a 500. */
function issuedAnswer(issued: Record<string, unknown>, firstNonce: string | undefined, answer: Answers): UserInfoResult {
  const dpopNonce = dpopNonceOf(issued) ?? firstNonce
  // Own keys only: an action named like an Object.prototype member (`toString`) is unknown too.
  const contentType = typeof issued.action === 'string' && Object.hasOwn(ISSUED_CONTENT_TYPES, issued.action) ? ISSUED_CONTENT_TYPES[issued.action] : undefined
  if (contentType === undefined) {
    // Error actions map like /auth/userinfo's; OK is not an issue action, so it is unknown here.
    const denial = issued.action === 'OK'
      ? denyServerError(new AuthleteGuardError('ERR_AUTHLETE_UNKNOWN_ACTION', 'Authlete answered /auth/userinfo/issue with an unknown action: OK.'), answer.challenge.scheme, answer.challenge)
      : denyForAction({ ...(issued as IntrospectionResponse), dpopNonce: dpopNonce ?? null }, answer.challenge)!
    return answer.refuse(denial, issued)
  }
  const fault = replyHeaderFault(issued, false)
  if (fault) return answer.fail(fault)
  if (typeof issued.responseContent !== 'string' || issued.responseContent === '') {
    return answer.fail(new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's /auth/userinfo/issue reply (${String(issued.action)}) has no responseContent.`))
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
