import { AuthleteGuardError } from './errors'

/** How long the guard waits for a store (replay store, introspection cache) before it denies (fail closed). */
export const STORE_TIMEOUT_MS = 2000

/**
 * A store call bounded in time: a store that rejects or does not answer within `STORE_TIMEOUT_MS`
 * becomes `ERR_STORE_UNAVAILABLE`, which denies (500): a failing store never allows, nor hangs.
 */
export function storeCall<T>(promise: Promise<T>, what: string): Promise<T> {
  const unavailable = (error: unknown): never => {
    throw new AuthleteGuardError('ERR_STORE_UNAVAILABLE', `The ${what} failed: ${(error as Error)?.message ?? 'unknown error'}.`, { cause: error })
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS)
  })
  return Promise.race([promise, deadline])
    .catch(unavailable)
    .finally(() => clearTimeout(timer))
}
