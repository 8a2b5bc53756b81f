import { generateKeyPair as generateKeyPairCallback, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { computeAth, jwkThumbprint } from './dpop-hashes'
import { jwsSign, type DpopAlgorithm } from './jws'

const generateKeyPair = promisify(generateKeyPairCallback)

/** A DPoP key pair made by {@link createDpopKeyPair}. */
export interface DpopKeyPair {
  alg: DpopAlgorithm
  /** node:crypto private key; jose's `SignJWT` accepts it too. */
  privateKey: KeyObject
  publicKey: KeyObject
  /** Public JWK, as it goes into the proof's `jwk` header. */
  publicJwk: JsonWebKey
  /** RFC 7638 thumbprint of `publicJwk` (the token's `cnf.jkt` / Authlete `dpopKeyThumbprint`). */
  thumbprint: string
}

/** Options of {@link createDpopKeyPair}. */
export interface DpopKeyPairOptions {
  /** RSA modulus length in bits (default 2048). Smaller keys are refused by the emulator. */
  modulusLength?: number
  /** EdDSA curve (default Ed25519). */
  crv?: 'Ed25519' | 'Ed448'
}

async function generate(alg: DpopAlgorithm, options: DpopKeyPairOptions): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
    case 'RS384':
    case 'RS512':
    case 'PS256':
    case 'PS384':
    case 'PS512':
      return generateKeyPair('rsa', { modulusLength: options.modulusLength ?? 2048 })
    case 'ES256':
      return generateKeyPair('ec', { namedCurve: 'P-256' })
    case 'ES384':
      return generateKeyPair('ec', { namedCurve: 'P-384' })
    case 'ES512':
      return generateKeyPair('ec', { namedCurve: 'P-521' })
    case 'ES256K':
      return generateKeyPair('ec', { namedCurve: 'secp256k1' })
    case 'EdDSA':
      return options.crv === 'Ed448' ? generateKeyPair('ed448') : generateKeyPair('ed25519')
    default:
      throw new TypeError(`Unsupported DPoP algorithm: ${String(alg)}`)
  }
}

/**
 * Generate a real key pair for signing DPoP proofs.
 *
 * @example
 * ```ts
 * const key = await createDpopKeyPair('ES256')
 * await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
 * ```
 */
export async function createDpopKeyPair(alg: DpopAlgorithm = 'ES256', options: DpopKeyPairOptions = {}): Promise<DpopKeyPair> {
  const { privateKey, publicKey } = await generate(alg, options)
  const publicJwk = publicKey.export({ format: 'jwk' })
  return { alg, privateKey, publicKey, publicJwk, thumbprint: jwkThumbprint(publicJwk) }
}

/** What a proof is made for, plus overrides for building deliberately bad proofs in tests. */
export interface DpopProofOptions {
  /** HTTP method of the request. */
  htm: string
  /** URL of the request (no query or fragment). */
  htu: string
  /** Access token presented with the proof; sets `ath`. */
  accessToken?: string
  /** Server-issued nonce (`DPoP-Nonce`). */
  nonce?: string
  /** Issue time in seconds; defaults to now. */
  iat?: number
  /** Proof id; defaults to 16 random bytes, base64url. */
  jti?: string
  /** Header members merged over `{typ, alg, jwk}`; a member set to undefined is removed. */
  header?: Record<string, unknown>
  /** Claims merged over the defaults; a claim set to undefined is removed. */
  claims?: Record<string, unknown>
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined))
}

/**
 * Build and sign a DPoP proof JWT (RFC 9449 §4.2). The signature always uses the key's own
 * algorithm, except when `header.alg` is overridden to `none`, which yields an unsigned JWT.
 *
 * @example
 * ```ts
 * const proof = await createDpopProof(key, { htm: 'GET', htu: 'http://127.0.0.1:3000/api/me', accessToken })
 * await fetch('http://127.0.0.1:3000/api/me', { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } })
 * ```
 */
export async function createDpopProof(key: DpopKeyPair, options: DpopProofOptions): Promise<string> {
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header })
  const claims = withoutUndefined({
    jti: options.jti ?? randomBytes(16).toString('base64url'),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ath: options.accessToken === undefined ? undefined : computeAth(options.accessToken),
    nonce: options.nonce,
    ...options.claims,
  })
  const signingInput = `${encode(header)}.${encode(claims)}`
  if (header.alg === 'none') return `${signingInput}.`
  const signature = jwsSign(key.alg, key.privateKey, Buffer.from(signingInput, 'ascii'))
  return `${signingInput}.${signature.toString('base64url')}`
}
