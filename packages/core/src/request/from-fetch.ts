import type { RequestLike } from '../types'

/**
 * Build a `RequestLike` from a fetch `Request` (Next.js route handlers, edge-style handlers).
 * The URL gives the path and query; the public origin for `htu` comes from the guard's
 * `publicUrl` / `trustProxy` and the `Host` header, because servers such as `next start` fill
 * `request.url` with an origin of their own choosing (host `localhost`, scheme from an untrusted
 * `X-Forwarded-Proto`). The URL's own origin is used only when there is no `Host` header at all.
 *
 * @example
 * export async function GET(request: Request) {
 *   const decision = await guard.check(fromFetchRequest(request))
 * }
 */
export function fromFetchRequest(request: Request, overrides: { remoteAddress?: string | undefined } = {}): RequestLike {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    remoteAddress: overrides.remoteAddress,
  }
}
