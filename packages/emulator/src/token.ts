import { createHash } from 'node:crypto'
import { hasDpop } from './access-check'
import { hasCertificate, readClientCertificate } from './certificate'
import { authenticateClient } from './client-auth'
import { TOKEN_DPOP_CODES } from './dpop-denial'
import { formEndpointResponder, verifyEndpointProof } from './form-endpoint-response'
import { parseForm, splitScope, type FormParameters } from './form'
import { checkResourceParameters, narrowResources } from './resources'
import { tokenEndpointOf } from './endpoints'
import { RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiCallContext, ApiResponse, EmulatorClient, TokenRecord } from './types'

/** Grant types `/auth/token` handles itself; others get `unsupported_grant_type`. */
export const SUPPORTED_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const

/**
 * Registered grant types the emulator's service does not support: `unsupported_grant_type` with
 * Authlete's "not supported by the service" code (A047101). Any other unknown value is an invalid
 * `grant_type` (A049304).
 */
const OTHER_KNOWN_GRANT_TYPES: readonly string[] = [
  'password',
  'implicit',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:pre-authorized_code',
]

type TokenAction = 'OK' | 'BAD_REQUEST' | 'INVALID_CLIENT' | 'INTERNAL_SERVER_ERROR'

interface GrantContext {
  store: EmulatorStore
  form: FormParameters
  client: EmulatorClient
  aliasUsed: boolean
  /** Thumbprint of a verified DPoP proof, if one was sent. */
  jkt?: string
  /** `x5t#S256` of the request's client certificate, when the client wants certificate-bound tokens. */
  certificateThumbprint?: string
  /** The request's RFC 8707 `resource` parameters, checked (possibly none). */
  resources: string[]
}

type GrantOutcome = { ok: true; record: TokenRecord } | { ok: false; error: string; result: ResultEntry }

const reject = (error: string, result: ResultEntry): GrantOutcome => ({ ok: false, error, result })

/** Undefined for no resources: a token without an audience has none (Authlete omits the member). */
const orNone = (resources: string[]): string[] | undefined => (resources.length > 0 ? resources : undefined)

function authorizationCodeGrant({ store, form, client, aliasUsed, jkt, certificateThumbprint, resources }: GrantContext): GrantOutcome {
  const code = form.get('code')
  if (!code) return reject('invalid_request', RESULTS.tokenMissingCode)
  const record = store.codes.get(code)
  if (!record || record.clientId !== client.clientId || record.expiresAt <= store.now()) return reject('invalid_grant', RESULTS.tokenInvalidCode)
  if (record.used) {
    // A replayed code revokes what it issued (RFC 6749 §4.1.2).
    for (const accessToken of record.issued) {
      const issued = store.byAccessToken.get(accessToken)
      if (issued) store.remove(issued)
    }
    return reject('invalid_grant', RESULTS.tokenInvalidCode)
  }
  if (record.redirectUri !== undefined && form.get('redirect_uri') !== record.redirectUri) {
    return reject('invalid_grant', RESULTS.tokenRedirectUriMismatch)
  }
  if (record.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier')
    if (verifier === undefined) return reject('invalid_grant', RESULTS.tokenPkceVerifierMissing)
    const computed = record.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url')
    if (computed !== record.codeChallenge) return reject('invalid_grant', RESULTS.tokenPkceFailed)
  }
  if (record.dpopJkt !== undefined && record.dpopJkt !== jkt) return reject('invalid_dpop_proof', RESULTS.tokenDpopJktMismatch)
  const target = narrowResources(resources, record.resources)
  if (!target.ok) return reject('invalid_target', target.result)
  record.used = true
  const issued = store.issue({
    client,
    clientIdAliasUsed: aliasUsed,
    grantType: 'AUTHORIZATION_CODE',
    subject: record.subject,
    scopes: record.scopes,
    withRefreshToken: true,
    jkt,
    certificateThumbprint,
    resources: orNone(target.resources),
    properties: record.properties,
    claims: record.claims,
    acr: record.acr,
    authTime: record.authTime,
  })
  record.issued.push(issued.accessToken)
  return { ok: true, record: issued }
}

function refreshTokenGrant({ store, form, client, aliasUsed, jkt, certificateThumbprint, resources }: GrantContext): GrantOutcome {
  const refreshToken = form.get('refresh_token')
  if (!refreshToken) return reject('invalid_request', RESULTS.tokenMissingRefreshToken)
  const old = store.byRefreshToken.get(refreshToken)
  if (!old || old.clientId !== client.clientId || (old.refreshTokenExpiresAt ?? 0) <= store.now()) {
    return reject('invalid_grant', RESULTS.tokenInvalidRefreshToken)
  }
  if (old.jkt !== undefined) {
    if (jkt === undefined) return reject('invalid_dpop_proof', RESULTS.tokenRefreshNeedsDpop)
    if (jkt !== old.jkt) return reject('invalid_dpop_proof', RESULTS.tokenRefreshKeyMismatch)
  }
  const requested = splitScope(form.get('scope'))
  if (requested.some((scope) => !old.scopes.includes(scope))) return reject('invalid_scope', RESULTS.tokenInvalidScope)
  const target = narrowResources(resources, old.resources)
  if (!target.ok) return reject('invalid_target', target.result)
  // Authlete keeps an access token and its refresh token as one record: refreshing replaces both.
  store.remove(old)
  const issued = store.issue({
    client,
    clientIdAliasUsed: aliasUsed,
    grantType: 'REFRESH_TOKEN',
    subject: old.subject,
    scopes: requested.length > 0 ? requested : old.scopes,
    withRefreshToken: true,
    jkt: old.jkt ?? jkt,
    // The certificate of this request (a client may renew its certificate), else the old binding.
    certificateThumbprint: certificateThumbprint ?? old.certificateThumbprint,
    resources: orNone(target.resources),
    properties: old.properties,
    claims: old.claims,
    acr: old.acr,
    authTime: old.authTime,
  })
  return { ok: true, record: issued }
}

function clientCredentialsGrant({ store, form, client, aliasUsed, jkt, certificateThumbprint, resources }: GrantContext): GrantOutcome {
  if (!client.clientSecret) return reject('unauthorized_client', RESULTS.tokenPublicClientNotAllowed)
  const record = store.issue({
    client,
    clientIdAliasUsed: aliasUsed,
    grantType: 'CLIENT_CREDENTIALS',
    scopes: splitScope(form.get('scope')),
    withRefreshToken: false,
    jkt,
    certificateThumbprint,
    resources: orNone(resources),
  })
  return { ok: true, record }
}

const GRANTS: Record<(typeof SUPPORTED_GRANT_TYPES)[number], (context: GrantContext) => GrantOutcome> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
}

/** Authlete's `OK` result code differs per grant type. */
const OK_RESULTS: Record<keyof typeof GRANTS, ResultEntry> = {
  authorization_code: RESULTS.tokenOkAuthorizationCode,
  refresh_token: RESULTS.tokenOkRefreshToken,
  client_credentials: RESULTS.tokenOkClientCredentials,
}

/** A `grant_type` the emulator does not handle: one the service does not support, or no grant type at all. */
function unhandledGrantResult(grantType: string): ResultEntry {
  return OTHER_KNOWN_GRANT_TYPES.includes(grantType) ? RESULTS.tokenUnsupportedGrantType : RESULTS.tokenInvalidGrantType
}

/**
 * RFC 8705 §3 at the token endpoint: for a client with `tlsClientCertificateBoundAccessTokens`, the
 * `x5t#S256` of the request's `clientCertificate` (required, and must parse); for any other client
 * nothing (its certificate, if any, is not read: no `tls_client_auth` here).
 */
function certificateBinding(client: EmulatorClient, certificate: unknown): { ok: true; thumbprint?: string } | { ok: false; result: ResultEntry } {
  if (client.tlsClientCertificateBoundAccessTokens !== true) return { ok: true }
  if (!hasCertificate(certificate)) return { ok: false, result: RESULTS.tokenCertificateRequired }
  const read = readClientCertificate(certificate)
  return read.ok ? { ok: true, thumbprint: read.thumbprint } : { ok: false, result: RESULTS.tokenCertificateMalformed }
}

/** An `OK` token reply for an issued grant: the client's JSON body and the reply's members. */
function issuedReply(record: TokenRecord, now: number): [string, ApiResponse] {
  const expiresIn = Math.round((record.expiresAt - now) / 1000)
  const content: Record<string, unknown> = { access_token: record.accessToken, token_type: record.jkt ? 'DPoP' : 'Bearer', expires_in: expiresIn }
  if (record.scopes.length > 0) content.scope = record.scopes.join(' ')
  if (record.refreshToken) content.refresh_token = record.refreshToken
  return [
    JSON.stringify(content),
    {
      accessToken: record.accessToken,
      accessTokenExpiresAt: record.expiresAt,
      accessTokenDuration: expiresIn,
      refreshToken: record.refreshToken,
      refreshTokenExpiresAt: record.refreshTokenExpiresAt,
      refreshTokenDuration: record.refreshTokenExpiresAt === undefined ? undefined : Math.round((record.refreshTokenExpiresAt - now) / 1000),
      grantType: record.grantType,
      clientId: record.clientId,
      clientIdAlias: record.clientIdAlias,
      clientIdAliasUsed: record.clientIdAliasUsed,
      subject: record.subject,
      scopes: record.scopes,
      properties: record.properties,
      resources: record.resources,
      accessTokenResources: record.resources,
    },
  ]
}

/**
 * `/auth/token`: client authentication, DPoP proof at the token endpoint (binds the issued token
 * to the proof key, RFC 9449 §5), the client certificate for a client with
 * `tlsClientCertificateBoundAccessTokens` (binds the token to its `x5t#S256`, RFC 8705 §3;
 * `clientCertificatePath` is accepted and not read), RFC 8707 `resource` parameters (`invalid_target` unless each
 * is an absolute URI without a fragment that the client may request; they become the token's
 * `accessTokenResources`, narrowing those of a code or refresh token), then the
 * `authorization_code`, `refresh_token` or `client_credentials` grant. `responseContent` is the
 * JSON body for the client. Nonces (and `dpopNonce`) on API V3 only.
 */
export function handleToken(store: EmulatorStore, body: Record<string, unknown>, { version }: ApiCallContext): ApiResponse {
  const { respond, fail, nonceRequired } = formEndpointResponder<TokenAction>(store, body, version)

  if (typeof body.parameters !== 'string') return fail('INTERNAL_SERVER_ERROR', 'server_error', RESULTS.tokenMissingParameters)
  const form = parseForm(body.parameters)
  if (form.duplicates.length > 0) return fail('BAD_REQUEST', 'invalid_request', RESULTS.tokenDuplicateParameter)
  const grantType = form.get('grant_type')
  if (!grantType) return fail('BAD_REQUEST', 'invalid_request', RESULTS.tokenMissingGrantType)
  if (!Object.hasOwn(GRANTS, grantType)) return fail('BAD_REQUEST', 'unsupported_grant_type', unhandledGrantResult(grantType))

  const auth = authenticateClient(store, body, form, { unknownClient: RESULTS.tokenUnknownClient, badSecret: RESULTS.tokenBadClientSecret })
  if (!auth.ok) return fail('INVALID_CLIENT', 'invalid_client', auth.result)

  let jkt: string | undefined
  if (hasDpop(body.dpop)) {
    const verdict = verifyEndpointProof(store, body, tokenEndpointOf(store.settings), nonceRequired, TOKEN_DPOP_CODES)
    if (!verdict.ok) return fail('BAD_REQUEST', verdict.error, verdict.result)
    jkt = verdict.jkt
  } else if (auth.client.dpopRequired) {
    return fail('BAD_REQUEST', 'invalid_dpop_proof', RESULTS.tokenDpopRequired)
  }

  const certificate = certificateBinding(auth.client, body.clientCertificate)
  if (!certificate.ok) return fail('BAD_REQUEST', 'invalid_request', certificate.result)

  // RFC 8707 §2: `invalid_target` for a malformed resource or one the client may not ask for.
  const target = checkResourceParameters(form.getAll('resource'), auth.client)
  if (!target.ok) return fail('BAD_REQUEST', 'invalid_target', target.result)

  const context = { store, form, client: auth.client, aliasUsed: auth.aliasUsed, jkt, certificateThumbprint: certificate.thumbprint, resources: target.resources }
  const outcome = GRANTS[grantType as keyof typeof GRANTS](context)
  if (!outcome.ok) return fail('BAD_REQUEST', outcome.error, outcome.result)

  const [content, members] = issuedReply(outcome.record, store.now())
  return respond('OK', OK_RESULTS[grantType as keyof typeof GRANTS], content, members)
}
