import { describe, expect, it } from 'vitest'
import { authleteOptionsFromEnv, isAuthleteGuardError, type AuthleteGuardError } from '../src'

describe('authleteOptionsFromEnv (the variables Authlete\'s SDKs read)', () => {
  it('V3 from AUTHLETE_SERVICE_ACCESSTOKEN, the service id from AUTHLETE_SERVICE_APIKEY', () => {
    expect(authleteOptionsFromEnv({ AUTHLETE_BASE_URL: 'https://us.authlete.com', AUTHLETE_SERVICE_APIKEY: '715948317', AUTHLETE_SERVICE_ACCESSTOKEN: 'tok' })).toEqual({
      baseUrl: 'https://us.authlete.com', apiVersion: 'V3', serviceId: '715948317', accessToken: 'tok',
    })
  })
  it('V2 from key and secret', () => {
    expect(authleteOptionsFromEnv({ AUTHLETE_BASE_URL: 'https://api.authlete.com', AUTHLETE_SERVICE_APIKEY: '123', AUTHLETE_SERVICE_APISECRET: 's' })).toEqual({
      baseUrl: 'https://api.authlete.com', apiVersion: 'V2', apiKey: '123', apiSecret: 's',
    })
  })
  it('explicit AUTHLETE_API_VERSION=v2 wins, case-insensitive', () => {
    expect(authleteOptionsFromEnv({ AUTHLETE_BASE_URL: 'https://x', AUTHLETE_API_VERSION: 'v2', AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_APISECRET: 's', AUTHLETE_SERVICE_ACCESSTOKEN: 't' }).apiVersion).toBe('V2')
  })
  it('extra options are merged (timeoutMs)', () => {
    expect(authleteOptionsFromEnv({ AUTHLETE_BASE_URL: 'https://x', AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_APISECRET: 's' }, { timeoutMs: 900 }).timeoutMs).toBe(900)
  })
  const missing: Array<[string, string, Record<string, string>, RegExp]> = [
    ['nothing set (V2 assumed)', 'ERR_MISSING_ENV', {}, /V2 needs the environment variables AUTHLETE_BASE_URL, AUTHLETE_SERVICE_APIKEY, AUTHLETE_SERVICE_APISECRET/],
    ['V3 without the service id', 'ERR_MISSING_ENV', { AUTHLETE_BASE_URL: 'https://x', AUTHLETE_SERVICE_ACCESSTOKEN: 't' }, /V3 needs the environment variable AUTHLETE_SERVICE_APIKEY \(AUTHLETE_SERVICE_APIKEY holds the service id\)/],
    ['V3 declared without the access token', 'ERR_MISSING_ENV', { AUTHLETE_BASE_URL: 'https://x', AUTHLETE_API_VERSION: 'V3', AUTHLETE_SERVICE_APIKEY: '1' }, /AUTHLETE_SERVICE_ACCESSTOKEN/],
    ['blank values count as missing', 'ERR_MISSING_ENV', { AUTHLETE_BASE_URL: '  ', AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_APISECRET: 's' }, /AUTHLETE_BASE_URL/],
    ['bad version', 'ERR_INVALID_ENV', { AUTHLETE_API_VERSION: 'V4' }, /must be V2 or V3/],
    ['base URL that is not a URL', 'ERR_INVALID_ENV', { AUTHLETE_BASE_URL: 'us.authlete.com', AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_APISECRET: 's' }, /AUTHLETE_BASE_URL must be an absolute http\(s\) URL/],
    // A V3 set-up (its access token variable present, still empty) is told the V3 variables, not APISECRET.
    ['V3 set-up with an empty access token', 'ERR_MISSING_ENV', { AUTHLETE_BASE_URL: 'https://x', AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_ACCESSTOKEN: '' }, /^Authlete API V3 needs the environment variable AUTHLETE_SERVICE_ACCESSTOKEN \(/],
  ]
  it.each(missing)('%s -> %s naming the problem', (_name, code, env, message) => {
    const error = errorOf(env)
    expect(error.message).toMatch(message)
    expect(error.code).toBe(code)
  })
  it.each([
    ['V2 secret', { AUTHLETE_SERVICE_APISECRET: 'very-secret' }],
    ['V3 access token', { AUTHLETE_BASE_URL: 'https://x', AUTHLETE_SERVICE_ACCESSTOKEN: 'very-secret' }],
  ])('never echoes secret values in the error (%s)', (_name, env) => {
    const error = errorOf(env)
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain('very-secret')
  })
})

/** The error `authleteOptionsFromEnv(env)` throws; fails the test when it throws none. */
function errorOf(env: Record<string, string>): AuthleteGuardError {
  let thrown: unknown
  try {
    authleteOptionsFromEnv(env)
  } catch (error) {
    thrown = error
  }
  expect(isAuthleteGuardError(thrown), `an AuthleteGuardError, got ${String(thrown)}`).toBe(true)
  return thrown as AuthleteGuardError
}
