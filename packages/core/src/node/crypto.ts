import { constants, createHash, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto'
import { availableParallelism, cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { keyCache, type ProofCrypto } from '../dpop/crypto'

const keys = keyCache<KeyObject>()

/** node:crypto's arguments for each JWS alg (RFC 7518 §3): hash, and the key's options. */
function signatureOptions(alg: string, key: KeyObject): { hash: string | null; key: VerifyKeyObjectInput | VerifyPublicKeyInput } {
  const bits = alg.slice(2)
  if (alg.startsWith('RS')) return { hash: `sha${bits}`, key: { key } }
  if (alg.startsWith('PS')) return { hash: `sha${bits}`, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 } }
  if (alg.startsWith('ES')) return { hash: `sha${bits}`, key: { key, dsaEncoding: 'ieee-p1363' } }
  return { hash: null, key: { key } } // EdDSA
}

/** How often `poolWorthIt` looks at the event loop and the machine, ms. */
const SAMPLE_MS = 100

/** Idle CPU time of the whole machine so far, and all CPU time, in ms (os.cpus()). */
function machineTimes(): { idle: number; total: number } {
  let idle = 0
  let total = 0
  for (const { times } of cpus()) {
    idle += times.idle
    total += times.user + times.nice + times.sys + times.idle + times.irq
  }
  return { idle, total }
}

/**
 * Whether a signature check is better handed to libuv's thread pool: when this thread's event loop
 * was busy more than half the time since the last look (perf_hooks' event-loop utilisation) and the
 * machine had at least half a CPU idle for the pool to use (os.cpus()). Looked at most every
 * `SAMPLE_MS`: two cheap reads per 100 ms, no timer. `sample` is for tests.
 */
export function poolWorthIt(sample: () => { busy: number; idleCpus: number } = liveSample()): () => boolean {
  let sampledAt = performance.now()
  let worth = false
  return () => {
    const now = performance.now()
    if (now - sampledAt >= SAMPLE_MS) {
      const { busy, idleCpus } = sample()
      worth = busy > 0.5 && idleCpus >= 0.5
      sampledAt = now
    }
    return worth
  }
}

/** Event-loop utilisation and idle CPUs of the machine since the previous call. */
export function liveSample(): () => { busy: number; idleCpus: number } {
  let lastLoop = performance.eventLoopUtilization()
  let lastMachine = machineTimes()
  const count = Math.max(1, cpus().length)
  return () => {
    const loop = performance.eventLoopUtilization()
    const machine = machineTimes()
    const total = machine.total - lastMachine.total
    const idleCpus = total > 0 ? ((machine.idle - lastMachine.idle) / total) * count : count
    const busy = performance.eventLoopUtilization(loop, lastLoop).utilization
    lastLoop = loop
    lastMachine = machine
    return { busy, idleCpus }
  }
}

/**
 * node:crypto's primitives: synchronous SHA-256, and a signature check with a `KeyObject` kept per
 * key, either on the calling thread or on libuv's thread pool (one-shot `crypto.verify` with a
 * callback), as `pool` says for each check. On the pool the main thread, which a busy Node server
 * runs out of first, only hands the check over, at the price of a thread hop; on the calling
 * thread there is no hop. Same checks, same answers either way.
 */
export function createNodeCrypto({ pool }: { pool: boolean | (() => boolean) }): ProofCrypto {
  const onPool = typeof pool === 'function' ? pool : () => pool
  return {
    sha256: (text) => createHash('sha256').update(text, 'utf8').digest('base64url'),
    verify(alg, _algorithm, jwk, cacheKey, signature, signingInput) {
      const key = keys(cacheKey, () => {
        const { kty, crv, x, y, n, e } = jwk
        return createPublicKey({ key: { kty, crv, x, y, n, e } as import('node:crypto').JsonWebKey, format: 'jwk' })
      })
      const options = signatureOptions(alg, key)
      const data = Buffer.from(signingInput, 'latin1')
      if (!onPool()) return verify(options.hash, data, options.key, signature)
      return new Promise<boolean>((resolve, reject) => verify(options.hash, data, options.key, signature, (error, valid) => (error ? reject(error) : resolve(valid))))
    },
  }
}

/**
 * What `@authlete-guard/core/node` uses: with more than one CPU, signatures go to the thread pool
 * while the event loop is busy and another CPU is idle (`poolWorthIt`), and are checked on the
 * calling thread otherwise; with one CPU, always on the calling thread.
 */
export const nodeCrypto: ProofCrypto = createNodeCrypto({ pool: availableParallelism() > 1 ? poolWorthIt() : false })
