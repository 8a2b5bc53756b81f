import type { ProofCrypto } from '../dpop/crypto'
import { AuthleteGuardError } from '../errors'
import { storeCall } from '../store-call'
import { isReplayLimited, type ReplayLimited, type ReplayStore } from './store'

/** One proof as the replay store files it: `key`, a hash of service, key thumbprint and `jti`; `owner`, the service's hash and the thumbprint. No secret. */
export interface ProofRecord {
  key: string
  owner: string
}

/** The guard's questions to its replay store, each bounded in time and checked (fail closed). */
export interface ReplayCheck {
  /** The record of a proof of the guard's service (`service`: the hash of its identity). */
  record(service: string, proof: { jkt: string; jti: string }): ProofRecord | Promise<ProofRecord>
  /** Whether the store already holds the proof (`false` for stores without `seen`). Never writes. */
  seen(record: ProofRecord): Promise<boolean>
  /** Remember an allowed request's proof: `true` the first time, `false` for a replay, or the store's `ReplayLimited`. */
  remember(record: ProofRecord): Promise<boolean | ReplayLimited>
}

const WHAT = 'DPoP replay store'

/** An answer the contract does not allow: the store is broken, so the request is denied (500). */
function unexpected(call: string): never {
  throw new AuthleteGuardError('ERR_STORE_UNAVAILABLE', `The ${WHAT} failed: its answer to ${call} is not one a ReplayStore gives.`)
}

/** The replay stage of a guard with `store`: proofs are remembered for `ttlMs` (the `iat` window). */
export function createReplayCheck(store: ReplayStore, ttlMs: number, proofCrypto: ProofCrypto): ReplayCheck {
  return {
    record(service, proof) {
      const owner = `${service}.${proof.jkt}`
      const key = proofCrypto.sha256(`${service} ${proof.jkt} ${proof.jti}`)
      return typeof key === 'string' ? { key, owner } : key.then((hashed) => ({ key: hashed, owner }))
    },
    async seen(record) {
      if (typeof store.seen !== 'function') return false
      const answer: unknown = await storeCall(store.seen(record.key, record.owner), WHAT)
      return typeof answer === 'boolean' ? answer : unexpected('seen')
    },
    async remember(record) {
      const answer: unknown = await storeCall(store.remember(record.key, ttlMs, record.owner), WHAT)
      if (typeof answer === 'boolean') return answer
      if (!isReplayLimited(answer) || typeof answer.retryAfterSeconds !== 'number' || !Number.isFinite(answer.retryAfterSeconds)) unexpected('remember')
      return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(answer.retryAfterSeconds)) }
    },
  }
}
