import { loadVector } from '../../../test/vectors'

/** The RFC 9449 example values (`../shared/vectors/rfc9449.json`). */
export const rfc9449 = loadVector('rfc9449.json')
/** The seed document's token request (`../shared/vectors/seed-token-request.json`). */
export const seedTokenRequest = loadVector('seed-token-request.json')
