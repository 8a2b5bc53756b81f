import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as emulator from '@authlete-guard/emulator'

const packageRoot = new URL('../', import.meta.url)

describe('public surface', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(emulator).sort()).toEqual(
      [
        'DEFAULT_ACCESS_TOKEN_DURATION',
        'DEFAULT_API_SECRET',
        'DEFAULT_AUTHORIZATION_CODE_DURATION',
        'DEFAULT_CLIENT',
        'DEFAULT_DPOP_NONCE_DURATION',
        'DEFAULT_PUSHED_AUTH_REQ_DURATION',
        'DEFAULT_REFRESH_TOKEN_DURATION',
        'DEFAULT_SERVICE_ACCESS_TOKEN',
        'DEFAULT_SERVICE_ID',
        'DPOP_ALGORITHMS',
        'DPOP_ALGS_VALUE',
        'DPOP_IAT_MAX_AGE_SECONDS',
        'DPOP_IAT_MAX_FUTURE_SECONDS',
        'ERROR_URI_BASE',
        'REQUEST_URI_PREFIX',
        'RESULTS',
        'SCOPE_CLAIMS',
        'buildChallenge',
        'computeAth',
        'createDpopKeyPair',
        'createDpopProof',
        'formatResultMessage',
        'jwkThumbprint',
        'normalizeHtu',
        'oauthErrorBody',
        'startEmulator',
        'verifyDpopProof',
      ].sort(),
    )
  })

  it('result codes are unique and well-formed (one entry per code; two names may share an entry)', () => {
    const codes = [...new Set(Object.values(emulator.RESULTS))].map((r) => r.code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(code).toMatch(/^A\d{6}$/)
  })
})

/** Codes Authlete gives for these conditions (catalogue, Authlete's code, observed output, OpenAPI examples). */
const AUTHLETE_CODES = [
  'A001101', 'A001202', 'A056001', 'A057301', 'A057302', 'A064302', 'A065301', 'A065302', 'A065303', 'A065308',
  'A065309', 'A065310', 'A065311', 'A065312', 'A065313', 'A066302', 'A340301', 'A341302', 'A050001', 'A052001',
  'A053001', 'A254301', 'A254303', 'A254307', 'A350308', 'A089311', 'A089312', 'A089313', 'A096001', 'A113001',
  'A145001', 'A091001', 'A109001', 'A245001',
  // Reference §9: real codes for conditions the emulator used to invent codes for.
  'A088301', 'A088302', 'A089301', 'A089302', 'A089303', 'A089304', 'A094201', 'A049301', 'A049304', 'A047101',
  'A048315', 'A050305', 'A050309', 'A050312', 'A050315', 'A053305', 'A053311', 'A052301', 'A247307', 'A248301',
  'A247303', 'A113201', 'A114311', 'A145302',
  // Reference §9: RFC 8705 certificate binding (issue 22).
  'A065304', 'A065305', 'A065306', 'A065307', 'A089307', 'A089308', 'A089309', 'A089310',
]

/**
 * Every code the reference (/work/shared/reference/authlete-dpop.md §2, §7, §9 and the examples of
 * its OpenAPI subsets) names as Authlete's, with or without an emulator use.
 */
const KNOWN_AUTHLETE_CODES = [
  ...AUTHLETE_CODES,
  'A001201', 'A001215', 'A064301', 'A066301', 'A050313', 'A050314',
]

describe('Authlete codes and invented ones', () => {
  it('exactly the codes from Authlete are marked fromAuthlete', () => {
    const marked = Object.values(emulator.RESULTS).filter((r) => r.fromAuthlete).map((r) => r.code)
    expect([...new Set(marked)].sort()).toEqual([...AUTHLETE_CODES].sort())
  })

  it('no code of the emulator\'s own reuses a number Authlete is known to use (reference §9)', () => {
    const invented = Object.entries(emulator.RESULTS).filter(([, r]) => !r.fromAuthlete)
    expect(invented.length).toBeGreaterThan(0)
    for (const [name, result] of invented) expect(KNOWN_AUTHLETE_CODES, name).not.toContain(result.code)
  })

  it('only Authlete codes get an error_uri, in challenges and in JSON error bodies', () => {
    for (const result of Object.values(emulator.RESULTS)) {
      const challenge = emulator.buildChallenge({ scheme: 'Bearer', error: 'invalid_request', result })
      const body = JSON.parse(emulator.oauthErrorBody('invalid_request', result))
      const uri = `${emulator.ERROR_URI_BASE}${result.code}`
      expect(challenge.includes(`error_uri="${uri}"`), result.code).toBe(result.fromAuthlete)
      expect(body.error_uri, result.code).toBe(result.fromAuthlete ? uri : undefined)
    }
  })
})

describe('runtime dependencies', () => {
  it('are exactly the packages src imports (jose is only for the tests)', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8'))
    const srcDir = new URL('src/', packageRoot)
    const imported = new Set<string>()
    for (const file of readdirSync(srcDir).filter((name) => name.endsWith('.ts'))) {
      // JSDoc examples import '@authlete-guard/emulator' too: read the code only.
      const code = readFileSync(new URL(file, srcDir), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
      for (const [, specifier = ''] of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
        imported.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'))
      }
    }
    expect([...imported].sort()).toEqual(Object.keys(pkg.dependencies ?? {}).sort())
    expect(pkg.devDependencies).toHaveProperty('jose')
  })
})
