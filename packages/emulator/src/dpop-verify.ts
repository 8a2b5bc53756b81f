import { createPublicKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto'
import { DPOP_IAT_MAX_AGE_SECONDS, DPOP_IAT_MAX_FUTURE_SECONDS } from './defaults'
import { computeAth, jwkThumbprint } from './dpop-hashes'
import { normalizeHtu } from './htu'
import { isDpopAlgorithm, jwkFitsAlgorithm, jwsVerify, type DpopAlgorithm } from './jws'
import { RESULTS, type ResultEntry } from './result-codes'

/** What a DPoP proof is checked against. */
export interface DpopVerifyInput {
  /** The proof as received (the `dpop` API parameter). */
  proof: unknown
  /** The request's HTTP method. */
  htm: unknown
  /** The request's URL. */
  htu: unknown
  /** The access token presented with the proof; when set, `ath` is required and checked. */
  accessToken?: string
  /** Thumbprint the proof key must have (the token's binding), if any. */
  expectedJkt?: string
  /** Emulator clock, ms. */
  now: number
  /** Whether a server-issued nonce is required. */
  nonceRequired: boolean
  /** Nonce validity check (time-based nonces). */
  isNonceValid: (nonce: unknown) => boolean
  /** Records the `jti`; returns false on replay. */
  rememberJti: (htu: string, jti: string) => boolean
}

/** Error codes a proof check can end with. */
export type DpopVerifyError = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token'

/** Outcome of {@link verifyDpopProof}. */
export type DpopVerifyResult =
  | { ok: true; jkt: string; alg: DpopAlgorithm; jwk: Record<string, unknown>; claims: Record<string, unknown> }
  | { ok: false; error: DpopVerifyError; result: ResultEntry }

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

const fail = (result: ResultEntry, error: DpopVerifyError = 'invalid_dpop_proof'): DpopVerifyResult => ({ ok: false, error, result })

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * Verify a DPoP proof as RFC 9449 §4.3 requires, in this order: one compact JWT, `typ`, `alg`,
 * public `jwk` fitting `alg`, signature, mandatory claims, `htm`, `htu`, `iat` window, `ath`,
 * key binding (`expectedJkt`), nonce, `jti` replay. The first failing check decides the error.
 *
 * @example
 * ```ts
 * const r = verifyDpopProof({ proof, htm: 'GET', htu: 'https://api.example.com/me', accessToken,
 *   now: Date.now(), nonceRequired: false, isNonceValid: () => true, rememberJti: () => true })
 * if (r.ok) console.log(r.jkt)
 * ```
 */
export function verifyDpopProof(input: DpopVerifyInput): DpopVerifyResult {
  const { proof } = input
  if (typeof proof !== 'string' || !COMPACT_JWS.test(proof)) return fail(RESULTS.dpopMalformed)
  const [headerPart = '', payloadPart = '', signaturePart = ''] = proof.split('.')
  const header = decodeJsonObject(headerPart)
  const claims = decodeJsonObject(payloadPart)
  if (!header || !claims) return fail(RESULTS.dpopMalformed)

  if (header.typ !== 'dpop+jwt') return fail(RESULTS.dpopBadTyp)
  const alg = header.alg
  if (!isDpopAlgorithm(alg)) return fail(RESULTS.dpopBadAlg)

  const jwk = header.jwk
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return fail(RESULTS.dpopBadJwk)
  const jwkRecord = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((name) => name in jwkRecord)) return fail(RESULTS.dpopPrivateJwk)
  if (!jwkFitsAlgorithm(alg, jwkRecord)) return fail(RESULTS.dpopBadJwk)
  let publicKey: KeyObject
  let jkt: string
  try {
    publicKey = createPublicKey({ key: jwkRecord as NodeJsonWebKey, format: 'jwk' })
    jkt = jwkThumbprint(jwkRecord)
  } catch {
    return fail(RESULTS.dpopBadJwk)
  }
  if (publicKey.asymmetricKeyType === 'rsa' || publicKey.asymmetricKeyType === 'rsa-pss') {
    // Keys below 2048 bits are refused (RFC 7518 §3.3).
    if ((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return fail(RESULTS.dpopBadJwk)
  }

  const signingInput = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii')
  if (!jwsVerify(alg, publicKey, signingInput, Buffer.from(signaturePart, 'base64url'))) {
    return fail(RESULTS.dpopBadSignature)
  }

  const { jti, htm, htu, iat } = claims
  if (typeof jti !== 'string' || jti === '' || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) {
    return fail(RESULTS.dpopMissingClaim)
  }

  if (typeof input.htm !== 'string' || htm !== input.htm) return fail(RESULTS.dpopHtmMismatch)

  const expectedHtu = typeof input.htu === 'string' ? normalizeHtu(input.htu) : undefined
  const actualHtu = normalizeHtu(htu)
  if (!expectedHtu || !actualHtu || expectedHtu !== actualHtu) return fail(RESULTS.dpopHtuMismatch)

  const nowSeconds = input.now / 1000
  if (iat < nowSeconds - DPOP_IAT_MAX_AGE_SECONDS) return fail(RESULTS.dpopIatTooOld)
  if (iat > nowSeconds + DPOP_IAT_MAX_FUTURE_SECONDS) return fail(RESULTS.dpopIatInFuture)

  if (input.accessToken !== undefined) {
    if (typeof claims.ath !== 'string') return fail(RESULTS.dpopMissingAth)
    if (claims.ath !== computeAth(input.accessToken)) return fail(RESULTS.dpopAthMismatch)
  }

  if (input.expectedJkt !== undefined && input.expectedJkt !== jkt) {
    return fail(RESULTS.dpopThumbprintMismatch, 'invalid_token')
  }

  if (input.nonceRequired && !input.isNonceValid(claims.nonce)) return fail(RESULTS.dpopNonceInvalid, 'use_dpop_nonce')

  if (!input.rememberJti(expectedHtu, jti)) return fail(RESULTS.dpopReplayed)

  return { ok: true, jkt, alg, jwk: jwkRecord, claims }
}
