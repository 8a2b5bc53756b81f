import type { ServerResponse } from 'node:http'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { AuthleteGuardError } from '@authlete-guard/core'
import { fromExpressRequest as toRequestLike, readBody, writeDenial } from '@authlete-guard/core/node'
import { authorizationServerMetadataResponder } from '@authlete-guard/core/authorization-server'
import type { AuthorizationServer, AuthorizationServerMetadataOptions, EndpointResponse, TokenActionRequired, UserInfoCallOptions } from '@authlete-guard/core/authorization-server'

/**
 * Largest form body the token and PAR handlers read, in bytes (body-parser's default too).
 *
 * @example
 * app.post('/par', parEndpoint(as, { limit: 4 * DEFAULT_FORM_BODY_LIMIT }))
 */
export const DEFAULT_FORM_BODY_LIMIT = 100 * 1024

/** Options of `tokenEndpoint` and `parEndpoint`. */
export interface FormEndpointOptions {
  /** Largest body read, in bytes; a larger one is answered 413. Default `DEFAULT_FORM_BODY_LIMIT`. */
  limit?: number | undefined
}

/** Options of `tokenEndpoint`. */
export interface TokenEndpointOptions extends FormEndpointOptions {
  /**
   * Finish a grant Authlete hands back to the application (`PASSWORD`, `TOKEN_EXCHANGE`,
   * `JWT_BEARER`, `NATIVE_SSO`, `ID_TOKEN_REISSUABLE`; see `TokenAppAction`) and answer the client.
   * Without it the handler stores the result in `res.locals.tokenAction` and calls `next()`, so the
   * next handler of the route does the work. A throw or rejection goes to `next(err)`.
   */
  onAction?: ((action: TokenActionRequired, req: Request, res: Response) => void | Promise<void>) | undefined
}

class BodyTooLarge extends Error {}

/**
 * Write an endpoint answer as is: Node's own API, so Express adds no charset, ETag or 304 (the
 * core's `writeDenial`, which `protect()` sends denials with).
 *
 * @example
 * tokenEndpoint(as, { onAction: async (action, req, res) => sendEndpointResponse(res, await finishGrant(action)) })
 */
export const sendEndpointResponse: (res: ServerResponse, answer: EndpointResponse) => void = writeDenial

/**
 * The raw form body, as Authlete needs it (`parameters` verbatim, RFC 6749 §3.2). A string or a
 * Buffer already in `req.body` (`express.text()` / `express.raw()`) is used; an unread stream is
 * read here. A body already parsed into an object (`express.urlencoded()`) cannot be turned back
 * into the bytes the client sent (order, duplicates and encoding are lost), so it is refused with
 * `ERR_INVALID_CONFIG`: mount the endpoint before, or without, the urlencoded parser.
 */
async function rawFormBody(req: Request, limit: number): Promise<string | Buffer> {
  const body: unknown = req.body
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body
  if ((req as { _body?: unknown })._body === true || req.readableEnded) {
    throw new AuthleteGuardError(
      'ERR_INVALID_CONFIG',
      '@authlete-guard/express: the request body was already parsed; mount the token/PAR endpoint without express.urlencoded() (or use express.text({ type: "application/x-www-form-urlencoded" })).',
    )
  }
  const read = await readBody(req, limit)
  if (!read.ok) throw new BodyTooLarge()
  return read.body
}

function assertServer(as: AuthorizationServer, name: string): void {
  if (!as || typeof as.token !== 'function' || typeof as.userinfo !== 'function') {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/express: ${name}(as) needs a server from createAuthorizationServer()`)
  }
}

function formLimit(options: FormEndpointOptions, name: string): number {
  const limit = options.limit ?? DEFAULT_FORM_BODY_LIMIT
  if (!Number.isInteger(limit) || limit <= 0) throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/express: ${name} limit must be a positive whole number of bytes.`)
  return limit
}

const TOO_LARGE: EndpointResponse = {
  status: 413,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  body: JSON.stringify({ error: 'invalid_request', error_description: 'The request body is too large.' }),
}

function formEndpoint(
  name: string,
  options: FormEndpointOptions,
  run: (req: Request, res: Response, next: NextFunction, body: string | Buffer) => Promise<void>,
): RequestHandler {
  const limit = formLimit(options, name)
  return function authleteFormEndpoint(req: Request, res: Response, next: NextFunction): void {
    rawFormBody(req, limit)
      .then((body) => run(req, res, next, body), (error: unknown) => {
        if (error instanceof BodyTooLarge) sendEndpointResponse(res, TOO_LARGE)
        else throw error
      })
      .catch(next)
  }
}

/**
 * Token endpoint handler (RFC 6749 §3.2 with DPoP, RFC 9449 §5): reads the raw form body, calls
 * `as.token()` and sends its answer (status, headers incl. `DPoP-Nonce`, body). Every outcome,
 * 500s included, is an answer; only misuse (a body parser in front) reaches `next(err)`. Actions
 * the application must finish go to `onAction`, else to the next handler via `res.locals.tokenAction`.
 *
 * @example
 * const as = createAuthorizationServer({ authlete: authleteOptionsFromEnv(), publicUrl: 'https://as.example.com' })
 * app.post('/token', tokenEndpoint(as)) // no express.urlencoded() in front of it
 */
export function tokenEndpoint(as: AuthorizationServer, options: TokenEndpointOptions = {}): RequestHandler {
  assertServer(as, 'tokenEndpoint')
  return formEndpoint('tokenEndpoint', options, async (req, res, next, body) => {
    const result = await as.token(toRequestLike(req), body)
    if (result.done) return sendEndpointResponse(res, result)
    if (options.onAction) return options.onAction(result, req, res)
    // The route's next handler finishes the grant.
    res.locals.tokenAction = result
    next()
  })
}

/**
 * Pushed authorization request endpoint handler (RFC 9126, DPoP per RFC 9449 §10): reads the raw
 * form body, calls `as.pushedAuthorizationRequest()` and sends its answer (201 on `CREATED`).
 *
 * @example
 * app.post('/par', parEndpoint(as))
 */
export function parEndpoint(as: AuthorizationServer, options: FormEndpointOptions = {}): RequestHandler {
  assertServer(as, 'parEndpoint')
  return formEndpoint('parEndpoint', options, async (req, res, _next, body) => {
    sendEndpointResponse(res, await as.pushedAuthorizationRequest(toRequestLike(req), body))
  })
}

/**
 * UserInfo endpoint handler (OIDC Core §5.3, DPoP per RFC 9449 §7): the access token and proof
 * come from the headers as on a protected route; `getClaims` (here or on the server) supplies the
 * claims, and `getSub`, when given, the `sub` to issue instead of Authlete's (e.g. a pairwise one).
 * Mount it for GET and POST (a POST body must be a form).
 *
 * @example
 * const userinfo = userinfoEndpoint(as, { getClaims: async (sub, names) => pick(await users.get(sub), names) })
 * app.get('/userinfo', userinfo)
 * app.post('/userinfo', userinfo)
 */
export function userinfoEndpoint(as: AuthorizationServer, options: UserInfoCallOptions = {}): RequestHandler {
  assertServer(as, 'userinfoEndpoint')
  const callOptions: UserInfoCallOptions = {}
  if (options.getClaims !== undefined) callOptions.getClaims = options.getClaims
  if (options.getSub !== undefined) callOptions.getSub = options.getSub
  return function authleteUserInfoEndpoint(req: Request, res: Response, next: NextFunction): void {
    as.userinfo(toRequestLike(req), callOptions)
      .then((result) => sendEndpointResponse(res, result))
      .catch(next)
  }
}

/**
 * Serve the authorization server's metadata (RFC 8414, OpenID Connect Discovery) from
 * `as.metadata()`, i.e. Authlete's `/service/configuration` (the core's
 * `authorizationServerMetadataResponder`): `GET` and `HEAD` at
 * `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration` (plus, for an
 * issuer with a path, its path-inserted forms) answered `200 application/json` with
 * `Cache-Control: public, max-age=<maxAgeSeconds>` (default `DEFAULT_METADATA_MAX_AGE_SECONDS`)
 * and `Access-Control-Allow-Origin: *`; `OPTIONS` is a CORS preflight (204); other methods 405.
 * Other requests go on (`next()`). When Authlete fails the answer is a generic 500 (`no-store`,
 * nothing about the cause), reported to the server's `onError`. Mount it on the app, not under a
 * path: the well-known paths are the origin's.
 *
 * @example
 * const as = createAuthorizationServer({ authlete: authleteOptionsFromEnv() })
 * app.use(authorizationServerMetadata(as))
 */
export function authorizationServerMetadata(as: AuthorizationServer, options: AuthorizationServerMetadataOptions = {}): RequestHandler {
  const respond = authorizationServerMetadataResponder(as, options)
  return function authleteAuthorizationServerMetadata(req: Request, res: Response, next: NextFunction): void {
    respond(toRequestLike(req))
      .then((answer) => (answer ? sendEndpointResponse(res, answer) : next()))
      .catch(next)
  }
}
