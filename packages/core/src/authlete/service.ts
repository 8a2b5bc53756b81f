import type { ProofCrypto } from '../dpop/crypto'
import { invalid } from '../errors'
import type { AuthleteClient } from '../types'

/**
 * The identity of the Authlete service a guard's store keys carry (`AuthleteClient.service`). A
 * client without one is refused when the guard has a store it may share with other guards
 * (`sharedStores`: a `cache.store` or a `replay` store given in the options): entries of two
 * services could not be told apart there. With only its own in-memory stores, a guard keys by
 * base URL and API version, which nothing else sees.
 */
export function serviceIdentity(authlete: AuthleteClient, sharedStores: boolean): string {
  const service = authlete.service
  if (typeof service === 'string' && service !== '') return service
  if (service !== undefined) invalid('authlete.service must be a non-empty string: a stable identity of the Authlete service.')
  if (sharedStores) {
    invalid(
      'The AuthleteClient given as authlete has no service, and the guard has a cache.store or a replay store that other guards may share: ' +
        'set service on the client (a stable identity of the Authlete service, no secret, e.g. `${baseUrl} V3 ${serviceId}`), or create it with createAuthleteClient.',
    )
  }
  return `${authlete.baseUrl} ${authlete.apiVersion}`
}

/**
 * `text` hashed once (base64url SHA-256): a string as soon as it is known, so the hot path neither
 * hashes it again nor awaits (node:crypto hashes at once; WebCrypto resolves on the first call).
 */
export function hashedOnce(text: string, proofCrypto: ProofCrypto): () => string | Promise<string> {
  let known: string | undefined
  let pending: Promise<string> | undefined
  return () => {
    if (known !== undefined) return known
    if (pending !== undefined) return pending
    const hash = proofCrypto.sha256(text)
    if (typeof hash === 'string') return (known = hash)
    pending = hash.then((value) => (known = value))
    // A failed hash is not remembered: the next check tries again (this one denies, 500).
    pending.catch(() => (pending = undefined))
    return pending
  }
}
