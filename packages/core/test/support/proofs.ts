import { createDpopKeyPair, createDpopProof, type DpopKeyPair, type DpopProofOptions } from '@authlete-guard/emulator'

let key: Promise<DpopKeyPair> | undefined

/** The test key (ES256), made once per file. */
export const testKey = (): Promise<DpopKeyPair> => (key ??= createDpopKeyPair('ES256'))

/**
 * A real DPoP proof (fresh `jti`, `iat` now) signed by the test key, for tests where a scripted
 * Authlete judges the token: the guard verifies every proof locally before it asks Authlete.
 */
export async function signedProof(htm: string, htu: string, accessToken: string, extra: Partial<DpopProofOptions> = {}): Promise<string> {
  return createDpopProof(await testKey(), { htm, htu, accessToken, ...extra })
}
