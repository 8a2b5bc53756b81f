import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { createGuard, withAuth } from '@authlete-guard/next'
import { certificateGuardOptions, listen, principalOf, routeCounter, ROUTES, type AdapterDriver } from '../harness'

type RouteHandler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>

/**
 * Next.js App Router route handlers, called the way Next calls them: a real `Request` and a
 * context with a `params` Promise. A `node:http` server on 127.0.0.1 maps each incoming message
 * to a `Request` (as `next start` 16 does: the URL's origin is `localhost`, the `Host` header is the
 * client's, dot segments are resolved by the URL parser before routing, a backslash is a 308) and
 * dispatches on the file-system path. Next has no proxy-trust setting of its own,
 * so `trustProxy` goes to the guard.
 */
export const next: AdapterDriver = {
  name: 'next',
  lacks: {
    peerAddress: "a route handler gets a fetch Request, with no peer address: the guard cannot tell the proxy from a client connecting directly (the header is trusted here with trustProxy: true)",
    tls: "a route handler gets a fetch Request, not the TLS socket: clientCertificate 'tls' finds no certificate",
  },
  async start({ authlete, trustProxy, publicUrl, clientCertificate }) {
    const guard = createGuard({ authlete, publicUrl, trustProxy, ...certificateGuardOptions(clientCertificate, false) })
    const counter = routeCounter()
    const handler = (options: (typeof ROUTES)[keyof typeof ROUTES]['options']) =>
      withAuth(
        guard,
        async (_request, { auth }) => {
          counter.hit()
          return Response.json(principalOf(auth))
        },
        options,
      )
    // app/api/me/route.ts, app/api/items/route.ts, ... and app/v1/api/me/route.ts
    const routes = new Map<string, RouteHandler>([
      [`GET ${ROUTES.me.path}`, handler(ROUTES.me.options)],
      [`POST ${ROUTES.items.path}`, handler(ROUTES.items.options)],
      [`GET ${ROUTES.admin.path}`, handler(ROUTES.admin.options)],
      [`GET ${ROUTES.nonce.path}`, handler(ROUTES.nonce.options)],
      [`GET ${ROUTES.mountedMe.path}`, handler(ROUTES.mountedMe.options)],
    ])
    // app/files/[...path]/route.ts
    const files = handler(ROUTES.files.options)
    const server = await listen(async (req, res) => {
      // As `next start` 16 does (router-utils/resolve-routes): a backslash or `//` in the path is
      // answered 308 to the slash-normalised path before any route or proxy runs.
      const rawPath = (req.url ?? '/').split('?')[0]!
      if (/\\|\/\//.test(rawPath)) {
        res.writeHead(308, { location: rawPath.replace(/\\/g, '/').replace(/\/{2,}/g, '/') }).end()
        return
      }
      try {
        const request = toFetchRequest(req)
        const pathname = new URL(request.url).pathname
        const route = routes.get(`${request.method} ${pathname}`) ?? (request.method === 'GET' && pathname.startsWith(ROUTES.files.catchAll) ? files : undefined)
        const response = route ? await route(request, { params: Promise.resolve({}) }) : new Response(null, { status: 404 })
        res.writeHead(response.status, [...response.headers].flat())
        res.end(Buffer.from(await response.arrayBuffer()))
      } catch (error) {
        res.writeHead(500).end(String(error))
      }
    }, () => guard.close())
    return { url: server.url, routeRuns: counter.count, close: server.close }
  },
}

/** What `next start` hands a route handler: origin `http://localhost:PORT` from its own config, every header as received. */
function toFetchRequest(req: IncomingMessage): Request {
  const headers = new Headers()
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    for (const value of values ?? []) headers.append(name, value)
  }
  const port = req.socket.localPort
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(`http://localhost:${port}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit)
}
