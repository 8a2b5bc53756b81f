import { createPublicKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto'
import { DPOP_IAT_MAX_AGE_SECONDS, DPOP_IAT_MAX_FUTURE_SECONDS } from './defaults'
import { computeAth, jwkThumbprint } from './dpop-hashes'
import { normalizeHtu } from './htu'
import { isDpopAlgorithm, jwkFitsAlgorithm, jwsVerify, type DpopAlgorithm } from './jws'

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

/**
 * Which check a proof failed. Each API turns it into its own result code (see `dpop-denial.ts`):
 * Authlete gives some failures a code of their own and reports the rest as one
 * "error processing the DPoP header" code with a description.
 *
 * @example
 * ```ts
 * const r = verifyDpopProof(input)
 * if (!r.ok && r.failure === 'nonce') console.log('fetch a fresh DPoP-Nonce')
 * ```
 */
export type DpopFailure = keyof typeof DPOP_FAILURE_DETAILS

/** What each failure means, as the description inside an "error processing the DPoP header" message. */
export const DPOP_FAILURE_DETAILS = {
  malformed: 'The DPoP header is not a single JWT in compact serialization.',
  typ: "The 'typ' header of the DPoP proof is not 'dpop+jwt'.",
  'alg-missing': "The DPoP proof does not contain an 'alg' header.",
  'alg-symmetric': "The algorithm of the DPoP proof is symmetric or 'none'.",
  alg: "The 'alg' header of the DPoP proof is not an allowed asymmetric algorithm.",
  'jwk-missing': "The DPoP proof does not contain a 'jwk' header.",
  jwk: "The 'jwk' header of the DPoP proof is invalid, too weak or does not fit 'alg'.",
  'jwk-private': "The 'jwk' header of the DPoP proof contains private key material.",
  signature: 'The signature of the DPoP proof is invalid.',
  claims: 'The DPoP proof lacks a mandatory claim (jti, htm, htu or iat) or has one of a wrong type.',
  htm: "The 'htm' claim of the DPoP proof does not match the HTTP method of the request.",
  htu: "The 'htu' claim of the DPoP proof does not match the URL of the request.",
  'iat-old': "The 'iat' claim of the DPoP proof is too old.",
  'iat-future': "The 'iat' claim of the DPoP proof is too far in the future.",
  'ath-missing': "The DPoP proof lacks the 'ath' claim required for resource access.",
  ath: "The 'ath' claim of the DPoP proof does not match the hash of the access token.",
  'key-mismatch': 'Thumbprint of the provided DPoP key does not match the expected DPoP thumbprint.',
  nonce: 'The DPoP proof does not contain a valid server-issued nonce.',
  replay: "The 'jti' of the DPoP proof has already been used.",
} as const

/** Outcome of {@link verifyDpopProof}. */
export type DpopVerifyResult =
  | { ok: true; jkt: string; alg: DpopAlgorithm; jwk: Record<string, unknown>; claims: Record<string, unknown> }
  | { ok: false; error: DpopVerifyError; failure: DpopFailure; detail: string }

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const SYMMETRIC_ALG = /^(none|HS\d+)$/i

/** RSA keys below this size are refused (RFC 7518 §3.3). */
const MIN_RSA_MODULUS_BITS = 2048

/**
 * Size of an RSA modulus (the JWK's base64url `n`) in bits, as the guard measures it: the bit
 * length of the number, so leading zero octets (a zero-padded `n`) add nothing.
 */
function rsaModulusBits(n: unknown): number {
  if (typeof n !== 'string') return 0
  const octets = Buffer.from(n, 'base64url')
  let start = 0
  while (start < octets.length && octets[start] === 0) start += 1
  if (start === octets.length) return 0
  return (octets.length - start - 1) * 8 + (32 - Math.clz32(octets[start]!))
}

const fail = (failure: DpopFailure): DpopVerifyResult => ({
  ok: false,
  error: failure === 'nonce' ? 'use_dpop_nonce' : failure === 'key-mismatch' ? 'invalid_token' : 'invalid_dpop_proof',
  failure,
  detail: DPOP_FAILURE_DETAILS[failure],
})

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
  if (typeof proof !== 'string' || !COMPACT_JWS.test(proof)) return fail('malformed')
  const [headerPart = '', payloadPart = '', signaturePart = ''] = proof.split('.')
  const header = decodeJsonObject(headerPart)
  const claims = decodeJsonObject(payloadPart)
  if (!header || !claims) return fail('malformed')

  // A media type is case-insensitive (RFC 7515 §4.1.9, RFC 2045): `DPOP+JWT` is `dpop+jwt`.
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') return fail('typ')
  const alg = header.alg
  if (alg === undefined || alg === null || alg === '') return fail('alg-missing')
  if (typeof alg === 'string' && SYMMETRIC_ALG.test(alg)) return fail('alg-symmetric')
  if (!isDpopAlgorithm(alg)) return fail('alg')

  const jwk = header.jwk
  if (jwk === undefined || jwk === null) return fail('jwk-missing')
  if (typeof jwk !== 'object' || Array.isArray(jwk)) return fail('jwk')
  const jwkRecord = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((name) => name in jwkRecord)) return fail('jwk-private')
  if (!jwkFitsAlgorithm(alg, jwkRecord)) return fail('jwk')
  let publicKey: KeyObject
  let jkt: string
  try {
    publicKey = createPublicKey({ key: jwkRecord as NodeJsonWebKey, format: 'jwk' })
    jkt = jwkThumbprint(jwkRecord)
  } catch {
    return fail('jwk')
  }
  if (jwkRecord.kty === 'RSA' && rsaModulusBits(jwkRecord.n) < MIN_RSA_MODULUS_BITS) return fail('jwk')

  const signingInput = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii')
  if (!jwsVerify(alg, publicKey, signingInput, Buffer.from(signaturePart, 'base64url'))) return fail('signature')

  const { jti, htm, htu, iat } = claims
  if (typeof jti !== 'string' || jti === '' || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) {
    return fail('claims')
  }

  if (typeof input.htm !== 'string' || htm !== input.htm) return fail('htm')

  const expectedHtu = typeof input.htu === 'string' ? normalizeHtu(input.htu) : undefined
  const actualHtu = normalizeHtu(htu)
  if (!expectedHtu || !actualHtu || expectedHtu !== actualHtu) return fail('htu')

  const nowSeconds = input.now / 1000
  if (iat < nowSeconds - DPOP_IAT_MAX_AGE_SECONDS) return fail('iat-old')
  if (iat > nowSeconds + DPOP_IAT_MAX_FUTURE_SECONDS) return fail('iat-future')

  if (input.accessToken !== undefined) {
    if (typeof claims.ath !== 'string') return fail('ath-missing')
    if (claims.ath !== computeAth(input.accessToken)) return fail('ath')
  }

  if (input.expectedJkt !== undefined && input.expectedJkt !== jkt) return fail('key-mismatch')

  if (input.nonceRequired && !input.isNonceValid(claims.nonce)) return fail('nonce')

  if (!input.rememberJti(expectedHtu, jti)) return fail('replay')

  return { ok: true, jkt, alg, jwk: jwkRecord, claims }
}
