import { assertGuard, denialResponse, fromFetchRequest, lazyGuard, validateRouteOptions } from '@authlete-guard/core'
import type { AccessTokenInfo, DenyDecision, Guard, GuardFactory, RouteOptions } from '@authlete-guard/core'

/**
 * The principal a protected request carries from the proxy (Next's `proxy.ts` / `middleware.ts`)
 * to the route, as `authFromHeaders` reads it back: the fields of `AccessTokenInfo` that fit in
 * request headers. `raw`, `properties`, `authorizationDetails` and the other fields stay behind
 * (use `withAuth` in the route when you need them).
 */
export type ProxiedAuth = Pick<
  AccessTokenInfo,
  'subject' | 'clientId' | 'clientIdAlias' | 'scopes' | 'resources' | 'tokenType' | 'expiresAt' | 'acr' | 'authTime'
>

/** Every request header the proxy writes (and strips from what clients send) starts with this. */
const PREFIX = 'x-authlete-guard-'

/** The request headers, one per field of `ProxiedAuth`. */
const HEADERS = {
  subject: 'x-authlete-guard-subject',
  clientId: 'x-authlete-guard-client-id',
  clientIdAlias: 'x-authlete-guard-client-id-alias',
  scopes: 'x-authlete-guard-scopes',
  resources: 'x-authlete-guard-resources',
  tokenType: 'x-authlete-guard-token-type',
  expiresAt: 'x-authlete-guard-expires-at',
  acr: 'x-authlete-guard-acr',
  authTime: 'x-authlete-guard-auth-time',
} as const satisfies Record<keyof ProxiedAuth, `${typeof PREFIX}${string}`>

/** What a proxy check gives: the response to return from the proxy, and on success what it forwards. */
export type ProxyCheck =
  | {
      allowed: true
      auth: AccessTokenInfo
      /** The request headers for the route: the client's, without any `x-authlete-guard-*`, plus the principal's. */
      requestHeaders: Headers
      /** Headers for the client's response (`DPoP-Nonce`). */
      responseHeaders: Headers
      /** `NextResponse.next({ request: { headers: requestHeaders }, headers: responseHeaders })`, built without importing `next`. */
      response: Response
    }
  | {
      allowed: false
      decision: DenyDecision
      /** The guard's denial: status, `WWW-Authenticate`, `DPoP-Nonce`, no-store, JSON body. */
      response: Response
    }

/**
 * Which requests `authProxy` protects, and with which route options: one `RouteOptions` for every
 * request the proxy's `matcher` lets in, or a function of the request returning the route options,
 * `true` (protected, no options), or `false` / `null` / `undefined` (not protected: passed on
 * without any `x-authlete-guard-*` header).
 */
export type ProxyRoutes<Req extends Request = Request> =
  | RouteOptions
  | ((request: Req) => RouteOptions | boolean | null | undefined | Promise<RouteOptions | boolean | null | undefined>)

/** The function `authProxy` returns: Next's `proxy` (16) or `middleware` (14, 15) export. */
export type AuthProxy<Req extends Request = Request> = (request: Req) => Promise<Response>

/**
 * Protects routes from Next's proxy file (`proxy.ts`, Next 16; `middleware.ts`, Next 14 and 15).
 * A request the guard denies is answered by the proxy with the guard's response (status,
 * `WWW-Authenticate`, `DPoP-Nonce`, no-store, JSON body) and never reaches a route. An allowed
 * request goes on with the principal as request headers (`x-authlete-guard-subject`,
 * `-client-id`, `-scopes`, `-token-type`, ...; read them with `authFromHeaders`) and the
 * decision's `DPoP-Nonce` on the client's response.
 *
 * Every request through the proxy, protected or not, loses the `x-authlete-guard-*` headers the
 * client sent: a client cannot forge a principal. But a route the `matcher` does not cover gets
 * the client's headers as sent, so read `authFromHeaders` only in routes the matcher covers.
 *
 * Runs in the Node.js and the edge runtime; imports nothing of `next`. `guard` may be a function
 * returning the guard (`GuardFactory`), called once on the first request (so `next build` needs no
 * `AUTHLETE_*`), its guard shared with every `withAuth` given that same function.
 *
 * @example
 * // proxy.ts (Next 16; `middleware.ts` with `export const middleware = ...` on Next 14 and 15)
 * import { authProxy } from '@authlete-guard/next'
 * import type { NextRequest } from 'next/server'
 * import { getGuard } from './lib/guard'
 *
 * export const proxy = authProxy(getGuard, (request: NextRequest) =>
 *   request.nextUrl.pathname.startsWith('/api/admin/') ? { scopes: ['admin'] } : { scopes: ['api'] })
 * export const config = { matcher: '/api/:path*' }
 */
export function authProxy<Req extends Request = Request>(guard: Guard | GuardFactory, routes: ProxyRoutes<Req> = {}): AuthProxy<Req> {
  const getGuard = lazyGuard(guard, '@authlete-guard/next: authProxy(guard)')
  // A typo (or a nonce on Authlete API V2) fails when the proxy module loads; with a guard factory, on its first request.
  if (typeof routes !== 'function') validateRouteOptions(routes, typeof guard === 'function' ? undefined : guard)
  return async function authleteGuardProxy(request) {
    const route = typeof routes === 'function' ? await routes(request) : routes
    if (route === false || route === null || route === undefined) return nextResponse(withoutAuthHeaders(request.headers))
    return (await checkInProxy(request, getGuard(), route === true ? undefined : route)).response
  }
}

/**
 * The check `authProxy` makes, for a proxy of your own: the guard decides on `request` with
 * `routeOptions`, and the result carries the response to return (`result.response`: the denial,
 * or the request passed on) and, when allowed, the headers to pass on yourself, e.g. to
 * `NextResponse.rewrite(url, { request: { headers: result.requestHeaders }, headers: result.responseHeaders })`.
 *
 * @example
 * export async function proxy(request: NextRequest) {
 *   if (!request.nextUrl.pathname.startsWith('/api/')) return NextResponse.next({ request: { headers: withoutAuthHeaders(request.headers) } })
 *   const result = await checkInProxy(request, getGuard(), { scopes: ['api'] })
 *   if (!result.allowed) return result.response
 *   return NextResponse.next({ request: { headers: result.requestHeaders }, headers: result.responseHeaders })
 * }
 */
export async function checkInProxy(request: Request, guard: Guard, routeOptions?: RouteOptions): Promise<ProxyCheck> {
  assertGuard(guard, '@authlete-guard/next: checkInProxy(request, guard)')
  validateRouteOptions(routeOptions, guard)
  const decision = await guard.check(fromFetchRequest(request), routeOptions)
  if (!decision.allowed) return { allowed: false, decision, response: denialResponse(decision) }
  const requestHeaders = withoutAuthHeaders(request.headers)
  for (const [name, value] of principalHeaders(decision.auth)) requestHeaders.set(name, value)
  const responseHeaders = new Headers(decision.headers)
  return { allowed: true, auth: decision.auth, requestHeaders, responseHeaders, response: nextResponse(requestHeaders, responseHeaders) }
}

/**
 * A copy of `headers` without any `x-authlete-guard-*` header: what a proxy of your own passes on
 * for a request it does not check (`NextResponse.next({ request: { headers: withoutAuthHeaders(request.headers) } })`),
 * so that a client cannot hand a route a principal of its choosing.
 */
export function withoutAuthHeaders(headers: Headers): Headers {
  const copy = new Headers(headers)
  for (const name of [...copy.keys()]) if (name.startsWith(PREFIX)) copy.delete(name)
  return copy
}

/**
 * The principal the proxy (`authProxy`, `checkInProxy`) passed on in the request headers, or
 * `undefined` when there is none. Use it in route handlers, server components (`await headers()`)
 * and server actions behind the proxy.
 *
 * Trust it only where every request goes through the proxy: the proxy's `matcher` must cover the
 * route (a route it does not cover gets the client's own `x-authlete-guard-*` headers). For a
 * route outside the matcher, or when in doubt, use `withAuth`.
 *
 * @example
 * // app/api/proxied/me/route.ts (covered by the proxy's matcher)
 * export function GET(request: Request) {
 *   const auth = authFromHeaders(request.headers)
 *   if (!auth) return new Response(null, { status: 401 })
 *   return Response.json({ sub: auth.subject, scopes: auth.scopes })
 * }
 */
export function authFromHeaders(headers: { get(name: string): string | null }): ProxiedAuth | undefined {
  const tokenType = headers.get(HEADERS.tokenType)
  const clientId = numberFrom(headers.get(HEADERS.clientId))
  const expiresAt = numberFrom(headers.get(HEADERS.expiresAt))
  const authTimeValue = headers.get(HEADERS.authTime)
  const authTime = numberFrom(authTimeValue)
  if ((tokenType !== 'DPoP' && tokenType !== 'Bearer') || clientId === undefined || expiresAt === undefined) return undefined
  if (authTimeValue !== null && authTime === undefined) return undefined
  try {
    const text = (name: string) => {
      const value = headers.get(name)
      return value === null ? undefined : decodeURIComponent(value)
    }
    const list = (name: string) => (headers.get(name) ?? '').split(' ').filter((item) => item !== '').map(decodeURIComponent)
    return {
      subject: text(HEADERS.subject),
      clientId,
      clientIdAlias: text(HEADERS.clientIdAlias),
      scopes: list(HEADERS.scopes),
      resources: list(HEADERS.resources),
      tokenType,
      expiresAt,
      acr: text(HEADERS.acr),
      authTime,
    }
  } catch {
    return undefined // not the percent-encoding the proxy writes
  }
}

/** The request headers that carry `auth`; absent fields, and empty lists, have no header. */
function principalHeaders(auth: AccessTokenInfo): Array<[string, string]> {
  const entries: Array<[string, string | undefined]> = [
    [HEADERS.subject, auth.subject === undefined ? undefined : encode(auth.subject)],
    [HEADERS.clientId, String(auth.clientId)],
    [HEADERS.clientIdAlias, auth.clientIdAlias === undefined ? undefined : encode(auth.clientIdAlias)],
    [HEADERS.scopes, auth.scopes.map(encode).join(' ') || undefined],
    [HEADERS.resources, auth.resources.map(encode).join(' ') || undefined],
    [HEADERS.tokenType, auth.tokenType],
    [HEADERS.expiresAt, String(auth.expiresAt)],
    [HEADERS.acr, auth.acr === undefined ? undefined : encode(auth.acr)],
    [HEADERS.authTime, auth.authTime === undefined ? undefined : String(auth.authTime)],
  ]
  return entries.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
}

const utf8 = new TextEncoder()

/**
 * A header value for any string: visible ASCII stays as it is (`alice@example.com`), `%` and
 * everything else (spaces, controls, non-ASCII, lone surrogates as U+FFFD) is percent-encoded as
 * UTF-8, so `decodeURIComponent` gives the string back and a space can separate list items.
 */
function encode(value: string): string {
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code >= 0x21 && code <= 0x7e && code !== 0x25) out += char
    else for (const byte of utf8.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** A number the proxy wrote with `String(number)`, else `undefined`. */
const numberFrom = (value: string | null): number | undefined => {
  if (value === null) return undefined
  const number = Number(value)
  return Number.isFinite(number) && String(number) === value ? number : undefined
}

/**
 * What `NextResponse.next({ request: { headers: requestHeaders }, headers: responseHeaders })`
 * returns (next/dist/server/web/spec-extension/response.js), without importing `next`: Next goes
 * on to the route (`x-middleware-next`), replaces the request headers with the listed ones
 * (`x-middleware-override-headers`, each value in `x-middleware-request-<name>`), and adds the
 * other headers to the client's response.
 */
function nextResponse(requestHeaders: Headers, responseHeaders?: Headers): Response {
  const headers = new Headers(responseHeaders)
  headers.set('x-middleware-next', '1')
  const names: string[] = []
  for (const [name, value] of requestHeaders) {
    headers.set(`x-middleware-request-${name}`, value)
    names.push(name)
  }
  headers.set('x-middleware-override-headers', names.join(','))
  return new Response(null, { headers })
}
