import { verifyAlgorithm, MIN_RSA_BITS, type VerifyAlgorithm } from './algorithms'
import { webCrypto, MAX_CACHED_KEYS, type ProofCrypto } from './crypto'
import { fromBase64url, jsonSegment } from './encoding'
import { jwkThumbprint, publicJwkFault, rsaModulusBits, type PublicJwk } from './jwk'
import type { DecisionReason } from '../types'

/** What a DPoP proof must match, and the accepted `iat` window. */
export interface ProofExpectation {
  /** The request method (RFC 9449 §4.3 check 8). */
  htm: string
  /** The URL the guard sends Authlete as `htu` (check 9, compared normalised). */
  htu: string
  /** The access token the proof must hash in `ath` (check 10). */
  accessToken: string
  /** The primitives to use. Default WebCrypto. */
  crypto?: ProofCrypto | undefined
  /** base64url(SHA-256(accessToken)), when the caller has it already (one hash per request). */
  tokenHash?: string | undefined
  /** Accepted `alg` values (check 5). */
  algs: readonly string[]
  /** Current time, ms since the epoch. */
  now: number
  /** How old `iat` may be, seconds (check 11). */
  maxAgeSeconds: number
  /** How far in the future `iat` may be, seconds (clock skew). */
  maxFutureSeconds: number
}

/** A proof that passed every local check. */
export interface CheckedProof {
  ok: true
  /** RFC 7638 thumbprint of the proof's key: what the token must be bound to. */
  jkt: string
  jti: string
  nonce: string | undefined
  /**
   * False when this runtime has no primitive for the proof's algorithm (ES256K, EdDSA over Ed448):
   * the claims were checked but the signature is left to Authlete, and the proof serves no cache hit.
   */
  signatureVerified: boolean
}

/** A refused proof: the client's description, and the operator's reason (no proof or token in it). */
export type ProofCheck = CheckedProof | ProofFailure
export interface ProofFailure {
  ok: false
  description: string
  reason: DecisionReason
}

/** Largest `jti` accepted: a nonce of 128+ bits fits many times over (RFC 9449 §4.2). */
export const MAX_JTI_LENGTH = 256
/** `htu` compared as RFC 9449 §4.3 says: scheme and host normalised, no query or fragment. */
function normalisedHtu(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
    url.search = ''
    url.hash = ''
    return url.href
  } catch {
    return undefined
  }
}

const fail = (description: string, reason: DecisionReason): ProofFailure => ({ ok: false, description, reason })
/** A URL without its query and fragment: reasons never carry a query. */
const withoutQuery = (url: string) => url.split(/[?#]/)[0]!

/** A proof header that passed every check: what the signature check needs. */
interface KnownHeader {
  alg: string
  jwk: PublicJwk
  jkt: string
  algorithm: VerifyAlgorithm | undefined
}
const knownHeaders = new Map<string, KnownHeader>()

/** The header checks (RFC 9449 §4.3 checks 4-7): typ, alg, a public jwk that fits it; its thumbprint. */
async function checkHeader(header: Record<string, unknown>, expected: ProofExpectation): Promise<{ ok: true; header: KnownHeader } | ProofFailure> {
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') return fail('The DPoP proof\'s typ is not dpop+jwt.', { check: 'typ', actual: typeof header.typ === 'string' ? header.typ.slice(0, 64) : typeof header.typ })
  const alg = header.alg
  if (typeof alg !== 'string' || !expected.algs.includes(alg)) return fail(`The DPoP proof's alg is not one of ${expected.algs.join(' ')}.`, { check: 'alg', actual: typeof alg === 'string' ? alg.slice(0, 32) : typeof alg, expected: expected.algs.join(' ') })
  const jwkFault = publicJwkFault(header.jwk)
  if (jwkFault) return fail(jwkFault, { check: 'jwk' })
  const jwk = header.jwk as PublicJwk
  const algorithm = verifyAlgorithm(alg, jwk)
  if (algorithm && (jwk.kty !== algorithm.kty || (algorithm.crv !== undefined && jwk.crv !== algorithm.crv))) {
    return fail(`The DPoP proof's jwk does not fit alg ${alg}.`, { check: 'jwk', alg })
  }
  if (jwk.kty === 'RSA' && rsaModulusBits(jwk.n as string) < MIN_RSA_BITS) return fail(`The DPoP proof's RSA key is shorter than ${MIN_RSA_BITS} bits.`, { check: 'jwk', minBits: MIN_RSA_BITS })
  return { ok: true, header: { alg, jwk, jkt: await jwkThumbprint(jwk, (expected.crypto ?? webCrypto).sha256), algorithm } }
}

/**
 * RFC 9449 §4.3 checks of a DPoP proof for resource access, done locally with the runtime's
 * primitives (`expected.crypto`: WebCrypto from the root entry, node:crypto from `/node`): one
 * compact JWS, `typ` `dpop+jwt`, an `alg` of `algs`, a public `jwk` and a signature that verifies
 * with it, `htm`, `htu`, `iat` inside the window, a `jti` of at most `MAX_JTI_LENGTH` characters
 * and `ath` = SHA-256 of the token. Whether the token is bound to the key (`cnf.jkt`) is Authlete's
 * answer (or the cache's pinned thumbprint); replay is the replay store's.
 */
export async function checkProof(proof: string, expected: ProofExpectation): Promise<ProofCheck> {
  const parts = proof.split('.')
  if (parts.length !== 3) return fail('The DPoP proof is not a compact JWS.', { check: 'jws' })
  const claims = jsonSegment(parts[1]!)
  // A client signs every proof with the same key and header: a header seen before skips parsing,
  // the jwk checks and the thumbprint hash (the alg is still checked against this guard's list).
  let known = knownHeaders.get(parts[0]!)
  if (!known) {
    const header = jsonSegment(parts[0]!)
    if (!header || !claims) return fail('The DPoP proof is not a JWT.', { check: 'jws' })
    const checked = await checkHeader(header, expected)
    if (!checked.ok) return checked
    known = checked.header
    knownHeaders.set(parts[0]!, known)
    if (knownHeaders.size > MAX_CACHED_KEYS) knownHeaders.delete(knownHeaders.keys().next().value!)
  } else if (!expected.algs.includes(known.alg)) {
    return fail(`The DPoP proof's alg is not one of ${expected.algs.join(' ')}.`, { check: 'alg', actual: known.alg, expected: expected.algs.join(' ') })
  }
  if (!claims) return fail('The DPoP proof is not a JWT.', { check: 'jws' })
  const { alg, jwk, jkt, algorithm } = known

  const { jti, htm, htu, iat, ath, nonce } = claims
  if (typeof jti !== 'string' || jti === '') return fail('The DPoP proof has no jti.', { check: 'jti' })
  if (jti.length > MAX_JTI_LENGTH) return fail(`The DPoP proof's jti is longer than ${MAX_JTI_LENGTH} characters.`, { check: 'jti', length: jti.length })
  if (htm !== expected.htm) return fail('The DPoP proof\'s htm does not match the request method.', { check: 'htm', expected: expected.htm, actual: typeof htm === 'string' ? htm.slice(0, 16) : typeof htm })
  // Most clients sign exactly the URL the guard computes: compare as strings first, parse only when they differ.
  const proofHtu = typeof htu === 'string' && htu !== expected.htu ? normalisedHtu(htu) : undefined
  if (typeof htu !== 'string' || (htu !== expected.htu && (proofHtu === undefined || proofHtu !== normalisedHtu(expected.htu)))) {
    return fail('The DPoP proof\'s htu does not match the request URL.', { check: 'htu', expected: expected.htu, actual: typeof htu === 'string' ? withoutQuery(htu).slice(0, 512) : typeof htu })
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('The DPoP proof has no iat.', { check: 'iat' })
  const seconds = expected.now / 1000
  const iatReason: DecisionReason = { check: 'iat', iat, now: Math.floor(seconds), maxAgeSeconds: expected.maxAgeSeconds, maxFutureSeconds: expected.maxFutureSeconds }
  if (seconds - iat > expected.maxAgeSeconds) return fail('The DPoP proof is too old (iat).', iatReason)
  if (iat - seconds > expected.maxFutureSeconds) return fail('The DPoP proof is issued in the future (iat).', iatReason)
  if (nonce !== undefined && typeof nonce !== 'string') return fail('The DPoP proof\'s nonce is not a string.', { check: 'nonce' })
  if (typeof ath !== 'string' || ath !== (expected.tokenHash ?? (await (expected.crypto ?? webCrypto).sha256(expected.accessToken)))) return fail('The DPoP proof\'s ath does not match the access token.', { check: 'ath' })

  if (!algorithm) return { ok: true, jkt, jti, nonce, signatureVerified: false }
  const signature = fromBase64url(parts[2]!)
  if (!signature) return fail('The DPoP proof\'s signature is not base64url.', { check: 'signature' })
  let valid: boolean
  try {
    valid = await (expected.crypto ?? webCrypto).verify(alg, algorithm, jwk, `${alg} ${jkt}`, signature, `${parts[0]}.${parts[1]}`)
  } catch {
    // A key the runtime refuses to import (a point off the curve, ...) verifies nothing.
    return fail('The DPoP proof\'s jwk is not a valid key.', { check: 'jwk' })
  }
  if (!valid) return fail('The DPoP proof\'s signature is invalid.', { check: 'signature', jkt })
  return { ok: true, jkt, jti, nonce, signatureVerified: true }
}
