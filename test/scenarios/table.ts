/**
 * One table of request scenarios, run unchanged against every adapter (see `scenarios.test.ts`).
 *
 * A scenario names the app configuration it needs, the access token it presents and one or more
 * requests, each with the answer expected. DPoP proofs are described, not stored: the runner signs
 * a fresh one per request (new `jti`, `iat` now) for the URL the spec points at on the running app.
 */
import { ROUTES, type Capability, type ScenarioRoute } from './harness'

/** Origin a proxy in front of the app claims through `X-Forwarded-Proto` / `X-Forwarded-Host`. */
export const FORWARDED_ORIGIN = 'https://api.example.com'
export const FORWARDED_HEADERS = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }

/** `publicUrl` of the guard in the `publicUrl` app. */
export const PUBLIC_URL = 'https://public.example.com'

/**
 * How the app is started. `default`: trust off, no publicUrl. `trusted`: the framework's
 * proxy-trust setting on. `publicUrl`: the guard has `publicUrl: PUBLIC_URL`. `unreachable`: the
 * guard points at a closed port on 127.0.0.1. Client certificates (RFC 8705), each believed from
 * the proxy (`from: 'proxy'`) only: `certificate-header`, the guard reads RFC 9440 `Client-Cert`
 * (`{ header: 'client-cert' }`); `certificate-url-pem`, nginx's `X-SSL-Client-Cert`
 * (`{ header: 'x-ssl-client-cert', encoding: 'url-pem' }`); `certificate-tls`, the app is served
 * over TLS asking for a client certificate, and the guard reads the socket's (`'tls'`).
 */
export type AppConfig = 'default' | 'trusted' | 'publicUrl' | 'unreachable' | 'certificate-header' | 'certificate-url-pem' | 'certificate-tls'

/**
 * The token presented. `bound`: DPoP-bound to the scenario's key. `certificate`: bound to the
 * token's client certificate (RFC 8705, `x5t#S256`). `unbound`: a plain token. `unknown`: never
 * issued. `expired`: an unbound token past its expiry. `none`: no Authorization.
 */
export type TokenKind = 'bound' | 'certificate' | 'unbound' | 'unknown' | 'expired' | 'none'

/**
 * A client certificate the request presents: the one the `certificate` token is bound to
 * (`token`), another client's (`other`), or a header value that holds none (`not-a-certificate`);
 * carried in a header (`client-cert`: RFC 9440 `:base64 DER:`; `x-ssl-client-cert`: the
 * URL-encoded PEM, as nginx writes it) or on the TLS connection itself (`tls`).
 */
export type CertificateSpec =
  | { in: 'client-cert' | 'x-ssl-client-cert'; certificate: 'token' | 'other' | 'not-a-certificate' }
  | { in: 'tls'; certificate: 'token' | 'other' }

/** Where a proof's `htu` points, given the running app's URL and the route requested. */
export type HtuTarget =
  | 'request' // the app's own URL + the route's full path (what the client actually called)
  | 'forwarded' // FORWARDED_ORIGIN + path
  | 'public' // PUBLIC_URL + path
  | 'unmounted' // the app's URL + the path inside the sub-router (mount prefix dropped)
  | 'normalised' // the app's URL + `rawPath` as a URL parser (and Authlete) normalises it: `/files/../api/admin` -> `/api/admin`

/** One `DPoP` header. */
export interface ProofSpec {
  /** Key that signs the proof: the one the token is bound to (default) or another one. */
  key?: 'token' | 'other'
  htu?: HtuTarget
  /** Default: the request's method. */
  htm?: string
  /** Put the `DPoP-Nonce` of the previous reply in the proof. */
  nonce?: 'previous'
}

export interface RequestSpec {
  route: ScenarioRoute
  /** Appended to the request path (`?a=1`); never part of `htu`. */
  query?: string
  /** Send exactly this request-target instead of the route's path and `query` (dot segments and all). */
  rawPath?: string
  /** Authorization scheme; default `DPoP` when proofs are sent, else `Bearer`. */
  scheme?: 'DPoP' | 'Bearer'
  /** The `DPoP` headers, each a separate header line on the wire. Default none. */
  proofs?: ProofSpec[]
  /** Send the Authorization header twice. */
  twoAuthorizations?: boolean
  headers?: Record<string, string>
  /** `proxy`: connect from `PROXY_ADDRESS`, the peer a certificate app trusts; default 127.0.0.1, a client reaching the app directly. */
  from?: 'proxy'
  certificate?: CertificateSpec
}

export interface Expectation {
  status: number
  /** Answered by the framework itself before any guard or route: only the status and that no route ran are checked. */
  byFramework?: boolean
  /**
   * The `WWW-Authenticate` answer on a denial: `scheme` of the challenge that carries the error
   * (or the first one) and its `error` (`null`: no challenge has an error, RFC 6750 §3.1).
   * The JSON body's `error` must match. Omit `scheme` where it is Authlete's choice.
   */
  challenge?: { scheme?: 'DPoP' | 'Bearer'; error: string | null; resultCode?: string }
  /** Whether a `DPoP-Nonce` header must be present (default: must be absent). */
  dpopNonce?: boolean
  /**
   * On 200: the route's JSON answer (clientId is the emulator's client); `certificate`: its
   * `certificateThumbprint` is that certificate's `x5t#S256`, else it has none.
   */
  principal?: { sub: string; scopes: string[]; tokenType: 'DPoP' | 'Bearer'; certificate?: 'token' | 'other' }
}

/** One request of a scenario and the answer expected. */
export interface Step {
  request: RequestSpec
  expect: Expectation
  /**
   * Where a framework answers differently by design, its own expectation, by driver name. Such a
   * driver is not compared with the reference driver for this scenario.
   */
  expectFor?: Partial<Record<string, Expectation>>
}

export interface Scenario {
  name: string
  app?: AppConfig
  token: TokenKind
  /** Scopes of the issued token. Default `['profile', 'write']`. */
  scopes?: string[]
  /**
   * An Authlete fault armed on the emulator for this scenario only. `bad-nonce`: an `OK` whose
   * `dpopNonce` is not a valid header value; `huge-challenge`: an `UNAUTHORIZED` whose
   * `responseContent` is 150 KB.
   */
  fault?: 'status-500' | 'garbage' | 'bad-nonce' | 'huge-challenge'
  /** What the driver must be able to do; a driver that `lacks` one skips the scenario, with its reason. */
  needs?: Capability[]
  steps: Step[]
}

/** The subject of every issued token. */
export const SUBJECT = 'alice'
const SCOPES = ['profile', 'write']
const dpopPrincipal = { sub: SUBJECT, scopes: SCOPES, tokenType: 'DPoP' } as const
const bearerPrincipal = { sub: SUBJECT, scopes: SCOPES, tokenType: 'Bearer' } as const
const proof: ProofSpec = {}

const one = (request: RequestSpec, expect: Expectation, expectFor?: Step['expectFor']): Step[] => [expectFor ? { request, expect, expectFor } : { request, expect }]

const certificatePrincipal = { ...bearerPrincipal, certificate: 'token' } as const
/** Authlete's refusals of a certificate-bound token (its challenge, passed on as it is): no certificate, another one. */
const NO_CERTIFICATE: Expectation = { status: 401, challenge: { scheme: 'Bearer', error: 'invalid_token', resultCode: 'A065304' } }
const OTHER_CERTIFICATE: Expectation = { status: 401, challenge: { scheme: 'Bearer', error: 'invalid_token', resultCode: 'A065305' } }

/**
 * RFC 8705 §3 through a proxy's certificate header (`header`, as the `app` guard reads it): the
 * bound certificate from the trusted proxy -> 200 with its x5t#S256; another client's -> 401
 * [A065305]; the same header from a peer that is not the proxy is ignored -> 401 [A065304]; an
 * unbound token with a certificate from the trusted proxy -> 200 without a thumbprint (the route
 * gets the token's binding, not the certificate).
 */
function certificateHeaderCases(app: AppConfig, header: 'client-cert' | 'x-ssl-client-cert', label: string): Scenario[] {
  const sent = (certificate: 'token' | 'other') => ({ in: header, certificate })
  return [
    { name: `RFC 8705 §3, ${label}: the bound certificate from the trusted proxy -> 200 with its x5t#S256`, app, token: 'certificate', steps: one({ route: ROUTES.me, from: 'proxy', certificate: sent('token') }, { status: 200, principal: certificatePrincipal }) },
    { name: `RFC 8705 §3, ${label}: another client's certificate from the trusted proxy -> 401 invalid_token [A065305]`, app, token: 'certificate', steps: one({ route: ROUTES.me, from: 'proxy', certificate: sent('other') }, OTHER_CERTIFICATE) },
    { name: `${label} from a peer that is not the proxy is ignored -> 401 invalid_token [A065304], as without one`, app, token: 'certificate', needs: ['peerAddress'], steps: one({ route: ROUTES.me, certificate: sent('token') }, NO_CERTIFICATE) },
    { name: `RFC 8705 §3, ${label}: an unbound token with a certificate from the trusted proxy -> 200, no certificateThumbprint (the token is not bound)`, app, token: 'unbound', steps: one({ route: ROUTES.me, from: 'proxy', certificate: sent('token') }, { status: 200, principal: bearerPrincipal }) },
  ]
}

/** What a framework that routes the normalised URL answers: the /api/admin route's own refusal. */
const NORMALISED_ADMIN: Expectation = { status: 403, challenge: { error: 'insufficient_scope' } }

/**
 * Request-targets that a framework routes to the `/files/*` catch-all while a URL parser (and
 * Authlete, comparing `htu`) reads them as `/api/admin`: a proof for `/api/admin` must not run them.
 */
export const DOT_SEGMENT_PATHS = [
  '/files/../api/admin',
  '/files/%2e%2e/api/admin',
  '/files/.%2E/api/admin',
  '/files/%2E./api/admin',
  '/files/x/../../api/admin',
  '/files/./../api/admin',
  '/files/..\\api/admin',
]

export const scenarios: Scenario[] = [
  // --- allowed ------------------------------------------------------------------------------
  {
    name: 'RFC 9449 §7.1 DPoP-bound token with a valid proof, GET -> 200 with the principal',
    token: 'bound',
    steps: one({ route: ROUTES.me, proofs: [proof] }, { status: 200, principal: dpopPrincipal }),
  },
  {
    name: 'RFC 9449 §7.1 DPoP-bound token with a valid proof, POST -> 200 (htm POST)',
    token: 'bound',
    steps: one({ route: ROUTES.items, proofs: [proof] }, { status: 200, principal: dpopPrincipal }),
  },
  {
    name: 'RFC 6750 §2.1 Bearer with an unbound token -> 200',
    token: 'unbound',
    steps: one({ route: ROUTES.me }, { status: 200, principal: bearerPrincipal }),
  },
  {
    name: 'RFC 9449 §4.3 htu ignores the query string -> 200',
    token: 'bound',
    steps: one({ route: ROUTES.me, query: '?page=2&sort=asc', proofs: [proof] }, { status: 200, principal: dpopPrincipal }),
  },

  // --- credentials missing or wrong -----------------------------------------------------------
  {
    name: 'RFC 6750 §3.1 no credentials -> 401 with a challenge without error',
    token: 'none',
    steps: one({ route: ROUTES.me }, { status: 401, challenge: { error: null } }),
  },
  {
    name: 'RFC 6750 §3.1 unknown token -> 401 invalid_token',
    token: 'unknown',
    steps: one({ route: ROUTES.me }, { status: 401, challenge: { scheme: 'Bearer', error: 'invalid_token' } }),
  },
  {
    name: 'RFC 6750 §3.1 expired token -> 401 invalid_token',
    token: 'expired',
    steps: one({ route: ROUTES.me }, { status: 401, challenge: { scheme: 'Bearer', error: 'invalid_token' } }),
  },
  {
    name: 'RFC 6750 §3.1 insufficient scope -> 403 insufficient_scope',
    token: 'unbound',
    steps: one({ route: ROUTES.admin }, { status: 403, challenge: { scheme: 'Bearer', error: 'insufficient_scope' } }),
  },

  // --- DPoP proof problems --------------------------------------------------------------------
  {
    // Authlete reports the key mismatch as a token problem (A065309 in an invalid_token challenge).
    name: 'RFC 9449 §7.1 proof signed by another key than the token is bound to -> 401 invalid_token',
    token: 'bound',
    steps: one({ route: ROUTES.me, proofs: [{ key: 'other' }] }, { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_token' } }),
  },
  {
    name: 'RFC 9449 §7.1 DPoP scheme with a bound token but no proof -> 401 invalid_dpop_proof',
    token: 'bound',
    steps: one({ route: ROUTES.me, scheme: 'DPoP' }, { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } }),
  },
  {
    name: 'RFC 9449 §4.3 proof for another method (htm) -> 401 invalid_dpop_proof',
    token: 'bound',
    steps: one({ route: ROUTES.me, proofs: [{ htm: 'POST' }] }, { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } }),
  },
  {
    name: 'RFC 9449 §4.3 two DPoP headers -> 401 invalid_dpop_proof',
    token: 'bound',
    steps: one({ route: ROUTES.me, proofs: [proof, proof] }, { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } }),
  },
  {
    name: 'RFC 6750 §3.1 two Authorization headers -> 400 invalid_request',
    token: 'unbound',
    steps: one({ route: ROUTES.me, twoAuthorizations: true }, { status: 400, challenge: { error: 'invalid_request' } }),
  },
  {
    name: 'RFC 9449 §7.2 Bearer scheme plus a DPoP header -> 400 invalid_request',
    token: 'bound',
    steps: one({ route: ROUTES.me, scheme: 'Bearer', proofs: [proof] }, { status: 400, challenge: { error: 'invalid_request' } }),
  },
  {
    name: 'RFC 9449 §7.2 DPoP-bound token presented as Bearer -> 401, no downgrade',
    token: 'bound',
    steps: one({ route: ROUTES.me, scheme: 'Bearer' }, { status: 401, challenge: { error: 'invalid_token' } }),
  },

  // --- nonces ---------------------------------------------------------------------------------
  {
    name: 'RFC 9449 §9 nonce required: 401 use_dpop_nonce + DPoP-Nonce, then 200 with the nonce',
    token: 'bound',
    steps: [
      {
        request: { route: ROUTES.nonce, proofs: [proof] },
        expect: { status: 401, challenge: { scheme: 'DPoP', error: 'use_dpop_nonce' }, dpopNonce: true },
      },
      {
        request: { route: ROUTES.nonce, proofs: [{ nonce: 'previous' }] },
        expect: { status: 200, principal: dpopPrincipal, dpopNonce: true },
      },
    ],
  },

  // --- Authlete failures ----------------------------------------------------------------------
  {
    name: 'Authlete unreachable -> 500, the route does not run',
    app: 'unreachable',
    token: 'unknown',
    steps: one({ route: ROUTES.me }, { status: 500, challenge: { error: 'server_error' } }),
  },
  {
    name: 'Authlete answers HTTP 500 -> 500, the route does not run',
    token: 'unbound',
    fault: 'status-500',
    steps: one({ route: ROUTES.me }, { status: 500, challenge: { error: 'server_error' } }),
  },
  {
    name: 'Authlete answers garbage -> 500, the route does not run',
    token: 'unbound',
    fault: 'garbage',
    steps: one({ route: ROUTES.me }, { status: 500, challenge: { error: 'server_error' } }),
  },

  {
    name: 'Authlete answers OK with a dpopNonce that is not a header value -> 500 before the route runs',
    token: 'bound',
    fault: 'bad-nonce',
    steps: one({ route: ROUTES.me, proofs: [proof] }, { status: 500, challenge: { error: 'server_error' } }),
  },
  {
    name: 'Authlete answers with a 150 KB responseContent -> 500 before the route runs',
    token: 'unbound',
    fault: 'huge-challenge',
    steps: one({ route: ROUTES.me }, { status: 500, challenge: { error: 'server_error' } }),
  },

  // --- route confusion: dot segments (RFC 3986 §6.2.2.3) -----------------------------------------
  // `next start` and `@hono/node-server` build a WHATWG URL before routing: dot segments are
  // resolved (Next answers a backslash with a 308), so the route the URL names runs its own guard:
  // /api/admin wants `admin`, which the token lacks.
  ...DOT_SEGMENT_PATHS.map((rawPath): Scenario => ({
    name: `dot segments: ${rawPath} with a proof for /api/admin -> 400 invalid_request, no route runs`,
    token: 'bound',
    steps: one({ route: ROUTES.files, rawPath, proofs: [{ htu: 'normalised' }] }, { status: 400, challenge: { scheme: 'DPoP', error: 'invalid_request' } }, {
      // A backslash: `next start` redirects it, `@hono/node-server` refuses the URL it cannot build.
      next: rawPath.includes('\\') ? { status: 308, byFramework: true } : NORMALISED_ADMIN,
      hono: rawPath.includes('\\') ? { status: 400, byFramework: true } : NORMALISED_ADMIN,
    }),
  })),
  {
    name: 'dot segments: a Bearer token on /files/%2e%2e/api/admin -> 400 invalid_request, no route runs',
    token: 'unbound',
    steps: one({ route: ROUTES.files, rawPath: '/files/%2e%2e/api/admin' }, { status: 400, challenge: { scheme: 'Bearer', error: 'invalid_request' } }, {
      next: NORMALISED_ADMIN,
      hono: NORMALISED_ADMIN,
    }),
  },
  {
    name: 'the /files/* catch-all itself, with a proof for its own URL -> 200',
    token: 'bound',
    steps: one({ route: ROUTES.files, proofs: [proof] }, { status: 200, principal: dpopPrincipal }),
  },

  // --- htu: proxies, publicUrl, mounting --------------------------------------------------------
  {
    name: 'trusted X-Forwarded-Proto/Host: a proof for the forwarded URL -> 200',
    app: 'trusted',
    token: 'bound',
    steps: one(
      { route: ROUTES.me, headers: FORWARDED_HEADERS, proofs: [{ htu: 'forwarded' }] },
      { status: 200, principal: dpopPrincipal },
    ),
  },
  {
    name: 'trusted X-Forwarded-Proto/Host: a proof for the socket URL -> 401 invalid_dpop_proof',
    app: 'trusted',
    token: 'bound',
    steps: one(
      { route: ROUTES.me, headers: FORWARDED_HEADERS, proofs: [{ htu: 'request' }] },
      { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } },
    ),
  },
  {
    name: 'untrusted X-Forwarded-Proto/Host: a proof for the forwarded URL -> 401 invalid_dpop_proof',
    token: 'bound',
    steps: one(
      { route: ROUTES.me, headers: FORWARDED_HEADERS, proofs: [{ htu: 'forwarded' }] },
      { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } },
    ),
  },
  {
    name: 'untrusted X-Forwarded-Proto/Host change nothing: a proof for the real URL -> 200',
    token: 'bound',
    steps: one({ route: ROUTES.me, headers: FORWARDED_HEADERS, proofs: [{ htu: 'request' }] }, { status: 200, principal: dpopPrincipal }),
  },
  {
    name: 'publicUrl: a proof for the public URL -> 200',
    app: 'publicUrl',
    token: 'bound',
    steps: one({ route: ROUTES.me, proofs: [{ htu: 'public' }] }, { status: 200, principal: dpopPrincipal }),
  },
  {
    name: 'publicUrl: a proof for the socket URL -> 401 invalid_dpop_proof',
    app: 'publicUrl',
    token: 'bound',
    steps: one({ route: ROUTES.me, proofs: [{ htu: 'request' }] }, { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } }),
  },
  {
    name: 'sub-path mounting: htu holds the mount prefix (/v1/api/me) -> 200',
    token: 'bound',
    steps: one({ route: ROUTES.mountedMe, proofs: [proof] }, { status: 200, principal: dpopPrincipal }),
  },
  {
    name: 'sub-path mounting: a proof without the mount prefix -> 401 invalid_dpop_proof',
    token: 'bound',
    steps: one(
      { route: ROUTES.mountedMe, proofs: [{ htu: 'unmounted' }] },
      { status: 401, challenge: { scheme: 'DPoP', error: 'invalid_dpop_proof' } },
    ),
  },

  // --- client certificates (RFC 8705): a proxy's header, believed from the proxy only --------------
  ...certificateHeaderCases('certificate-header', 'client-cert', 'RFC 9440 Client-Cert'),
  {
    name: 'RFC 8705 §3: a certificate-bound token, the trusted proxy sends no Client-Cert -> 401 invalid_token [A065304], no fallback to Bearer',
    app: 'certificate-header',
    token: 'certificate',
    steps: one({ route: ROUTES.me, from: 'proxy' }, NO_CERTIFICATE),
  },
  {
    name: 'RFC 9440: a Client-Cert that holds no certificate, from the trusted proxy -> 400 invalid_request',
    app: 'certificate-header',
    token: 'certificate',
    steps: one({ route: ROUTES.me, from: 'proxy', certificate: { in: 'client-cert', certificate: 'not-a-certificate' } }, { status: 400, challenge: { scheme: 'Bearer', error: 'invalid_request' } }),
  },
  {
    name: 'RFC 9440: an unbound token with Client-Cert from a peer that is not the proxy -> 200, the route gets no certificate',
    app: 'certificate-header',
    token: 'unbound',
    needs: ['peerAddress'],
    steps: one({ route: ROUTES.me, certificate: { in: 'client-cert', certificate: 'token' } }, { status: 200, principal: bearerPrincipal }),
  },
  ...certificateHeaderCases('certificate-url-pem', 'x-ssl-client-cert', 'nginx X-SSL-Client-Cert (url-pem)'),

  // --- client certificates (RFC 8705): the app's own TLS socket ------------------------------------
  {
    name: 'RFC 8705 §3 mutual TLS to the app: the bound certificate -> 200 with its x5t#S256',
    app: 'certificate-tls',
    token: 'certificate',
    needs: ['tls'],
    steps: one({ route: ROUTES.me, certificate: { in: 'tls', certificate: 'token' } }, { status: 200, principal: certificatePrincipal }),
  },
  {
    name: 'RFC 8705 §3 mutual TLS to the app: an unbound token with a client certificate -> 200, no certificateThumbprint (the token is not bound)',
    app: 'certificate-tls',
    token: 'unbound',
    needs: ['tls'],
    steps: one({ route: ROUTES.me, certificate: { in: 'tls', certificate: 'token' } }, { status: 200, principal: bearerPrincipal }),
  },
  {
    name: 'RFC 8705 §3 mutual TLS to the app: another client\'s certificate -> 401 invalid_token [A065305]',
    app: 'certificate-tls',
    token: 'certificate',
    needs: ['tls'],
    steps: one({ route: ROUTES.me, certificate: { in: 'tls', certificate: 'other' } }, OTHER_CERTIFICATE),
  },
  {
    name: 'RFC 8705 §3 TLS to the app without a client certificate -> 401 invalid_token [A065304]',
    app: 'certificate-tls',
    token: 'certificate',
    needs: ['tls'],
    steps: one({ route: ROUTES.me }, NO_CERTIFICATE),
  },
  {
    name: 'clientCertificate \'tls\' reads no header: the bound certificate in Client-Cert over TLS without one -> 401 invalid_token [A065304]',
    app: 'certificate-tls',
    token: 'certificate',
    needs: ['tls'],
    steps: one({ route: ROUTES.me, from: 'proxy', certificate: { in: 'client-cert', certificate: 'token' } }, NO_CERTIFICATE),
  },
]
