import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const shared = (name: string) => fileURLToPath(new URL(`../../../../shared/vectors/${name}`, import.meta.url))

/** The RFC 9449 example values (`../shared/vectors/rfc9449.json`). */
export const rfc9449 = JSON.parse(readFileSync(shared('rfc9449.json'), 'utf8'))
/** The seed document's token request (`../shared/vectors/seed-token-request.json`). */
export const seedTokenRequest = JSON.parse(readFileSync(shared('seed-token-request.json'), 'utf8'))
