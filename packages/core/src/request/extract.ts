import { readClientCertificate, type CertificateSource, type PresentedCertificate } from './client-certificate'
import { extractCredentials, type CredentialsFailure } from './credentials'
import { resolvePublicUrl, type FixedPublicUrl } from './public-url'
import type { IntrospectionRequest, RequestLike, RouteOptions, TrustProxy } from '../types'

/** What `extract` needs from the guard's configuration: where the public URL and the client certificate come from. */
export interface ExtractContext {
  fixed?: FixedPublicUrl | undefined
  trustProxy?: TrustProxy | undefined
  /**
   * Where the client certificate comes from, read and checked by `readClientCertificate`: the
   * resolved `clientCertificate` of the guard, or of the authorization server (its UserInfo
   * passes its own). Absent (only a caller of `@authlete-guard/core/unstable` that resolved none):
   * `RequestLike.clientCertificate` is sent as it is, unchecked.
   */
  clientCertificate?: CertificateSource | undefined
}

/**
 * The request's `/auth/introspection` body, or why it is refused without asking Authlete: a
 * `CredentialsFailure` value (kind, description, scheme) that the decision stage renders.
 */
export type Extraction =
  | { ok: true; scheme: 'DPoP' | 'Bearer'; body: IntrospectionRequest; path: string; certificate?: PresentedCertificate | undefined }
  | CredentialsFailure

/**
 * Stage 1 of a check (pure): request + route -> the `/auth/introspection` body, or the failure
 * when the request can be refused without asking Authlete (`denyCredentials` renders it).
 *
 * @example
 * const extraction = extractIntrospectionRequest(request, { scopes: ['read'] }, { trustProxy: 1 })
 * if (extraction.ok) console.log(extraction.body.htu) // else console.log(extraction.kind, extraction.description)
 */
export function extractIntrospectionRequest(request: RequestLike, route: RouteOptions, context: ExtractContext): Extraction {
  const credentials = extractCredentials(request)
  if (!credentials.ok) return credentials

  const url = resolvePublicUrl(request, { fixed: context.fixed, trustProxy: context.trustProxy })
  if (!url.ok) return { ok: false, kind: 'invalid_request', description: url.reason, scheme: credentials.scheme }

  const body: IntrospectionRequest = { token: credentials.token }
  if (route.scopes !== undefined) body.scopes = [...route.scopes]
  if (route.subject !== undefined) body.subject = route.subject
  if (route.resources !== undefined) body.resources = [...route.resources]
  if (route.acrValues !== undefined) body.acrValues = [...route.acrValues]
  if (route.maxAge !== undefined) body.maxAge = route.maxAge
  let certificate: PresentedCertificate | undefined
  if (context.clientCertificate !== undefined) {
    const reading = readClientCertificate(request, context.clientCertificate, context.trustProxy)
    if (!reading.ok) return { ok: false, kind: 'invalid_request', description: reading.description, scheme: credentials.scheme }
    certificate = reading.certificate
    if (certificate) body.clientCertificate = certificate.pem
  } else if (request.clientCertificate) {
    body.clientCertificate = request.clientCertificate
  }
  if (credentials.scheme === 'DPoP') {
    // RFC 9449 §4.3 / §7.1: Authlete checks the proof against these. A Bearer request never
    // carries them, so a bound token presented as Bearer fails instead of being downgraded.
    body.dpop = credentials.dpop!
    body.htm = request.method.toUpperCase()
    body.htu = url.htu
    body.targetUri = url.targetUri
    // Only `true` is sent: `false` means what absence means (the service's setting), and API V2 has no such member.
    if (route.dpopNonceRequired === true) body.dpopNonceRequired = true
  }
  return { ok: true, scheme: credentials.scheme, body, path: url.path, certificate }
}
