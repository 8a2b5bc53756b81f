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

  it('result codes are unique and well-formed', () => {
    const codes = Object.values(emulator.RESULTS).map((r) => r.code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(code).toMatch(/^A\d{6}$/)
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
