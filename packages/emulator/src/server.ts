import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { MAX_REQUEST_BODY_BYTES } from './defaults'
import type { Fault, Faults } from './faults'
import { handleIntrospection } from './introspection'
import { handleStandardIntrospection } from './introspection-standard'
import { handlePushedAuthReq } from './par'
import { fillResult, formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import { handleRevocation } from './revocation'
import { handleServiceConfiguration, type GetReply } from './service-configuration'
import type { EmulatorStore } from './store'
import { handleToken } from './token'
import { handleTokenCreate } from './token-create'
import type { ApiCallContext, ApiResponse, ApiVersion, RecordedRequest } from './types'
import { handleUserInfo, handleUserInfoIssue } from './userinfo'

/** Service credentials the API checks on every call. */
export interface ServiceCredentials {
  serviceId: string
  apiSecret: string
  accessToken: string
}

type Handler = (store: EmulatorStore, body: Record<string, unknown>, call: ApiCallContext) => ApiResponse

/** API paths (after `/api` or `/api/{serviceId}`) and their handlers. */
export const ROUTES: Readonly<Record<string, Handler>> = {
  '/auth/introspection': handleIntrospection,
  '/auth/introspection/standard': handleStandardIntrospection,
  '/auth/token': handleToken,
  '/auth/token/create': handleTokenCreate,
  '/auth/userinfo': handleUserInfo,
  '/auth/userinfo/issue': handleUserInfoIssue,
  '/auth/revocation': handleRevocation,
  '/pushed_auth_req': handlePushedAuthReq,
}

type GetHandler = (store: EmulatorStore, query: URLSearchParams, call: ApiCallContext) => GetReply

/** API paths answered to GET (no body; query parameters), and their handlers. */
export const GET_ROUTES: Readonly<Record<string, GetHandler>> = {
  '/service/configuration': handleServiceConfiguration,
}

/** Split `/api/...` into version, service id and API path. */
export function parseApiPath(pathname: string): { version: ApiVersion; serviceId?: string; apiPath: string } | undefined {
  if (!pathname.startsWith('/api/')) return undefined
  const rest = pathname.slice('/api'.length)
  const v3 = /^\/(\d+)(\/.*)$/.exec(rest)
  if (v3) return { version: 'V3', serviceId: v3[1], apiPath: v3[2] ?? '' }
  return { version: 'V2', apiPath: rest }
}

/** What {@link createApiServer} works with. */
export interface ApiServerParts {
  store: EmulatorStore
  faults: Faults
  requests: RecordedRequest[]
  credentials: ServiceCredentials
}

/** The HTTP server plus a way to stop it with its open sockets and pending timers. */
export interface ApiServer {
  server: Server
  close(): Promise<void>
}

/** Answers one request (and records the answer in its `emu.requests` entry). */
type Send = (status: number, body: unknown, extraHeaders?: Record<string, string>) => void

function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}, record?: Pick<RecordedRequest, 'reply'>): void {
  if (res.destroyed || res.headersSent) return
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  // What went over the wire (undefined members dropped), parsed back.
  if (record) record.reply = { status, body: parseJson(text) ?? text }
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...extraHeaders,
  })
  res.end(text)
}

const apiError = (result: ResultEntry) => ({ resultCode: result.code, resultMessage: formatResultMessage(result) })

/** The 405 of an API called with another method than its own. */
const wrongMethod = (send: Send, method: 'GET' | 'POST') => send(405, apiError(fillResult(RESULTS.methodNotAllowed, { method })), { allow: method })

/** The handler of an API path, by the method the API takes. */
function routeOf(apiPath: string): { method: 'POST'; handler: Handler } | { method: 'GET'; handler: GetHandler } | undefined {
  if (Object.hasOwn(ROUTES, apiPath)) return { method: 'POST', handler: ROUTES[apiPath]! }
  if (Object.hasOwn(GET_ROUTES, apiPath)) return { method: 'GET', handler: GET_ROUTES[apiPath]! }
  return undefined
}

function credentialsValid(req: IncomingMessage, parsed: NonNullable<ReturnType<typeof parseApiPath>>, credentials: ServiceCredentials): boolean {
  const authorization = req.headers.authorization ?? ''
  if (parsed.version === 'V3') {
    return parsed.serviceId === credentials.serviceId && authorization === `Bearer ${credentials.accessToken}`
  }
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization)
  if (!match?.[1]) return false
  return Buffer.from(match[1], 'base64').toString('utf8') === `${credentials.serviceId}:${credentials.apiSecret}`
}

function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BODY_BYTES) tooLarge = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge }))
    req.on('error', reject)
  })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Timers of `latency` faults, so that `close()` can clear the pending ones. */
function faultDelays(): { delay(ms: number): Promise<void>; clear(): void } {
  const timers = new Set<NodeJS.Timeout>()
  return {
    delay: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          resolve()
        }, ms)
        timers.add(timer)
      }),
    clear: () => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    },
  }
}

/** Apply a fault; returns true when the request has been dealt with. */
async function applyFault(fault: Fault, req: IncomingMessage, send: Send, delay: (ms: number) => Promise<void>): Promise<boolean> {
  switch (fault.type) {
    case 'latency':
      await delay(fault.ms)
      return false
    case 'status':
      send(fault.status, fault.body === undefined ? apiError(RESULTS.internalError) : fault.body)
      return true
    case 'garbage':
      send(200, '<html><body>502 Bad Gateway</body></html> {"resultCode":')
      return true
    case 'hang':
      return true
    case 'reset':
      req.socket.destroy()
      return true
    case 'reply':
      send(fault.status ?? 200, fault.body)
      return true
  }
}

/** What {@link receive} read of a request: its parsed body and URL parts. */
interface ReceivedRequest {
  tooLarge: boolean
  json: unknown
  pathname: string
  searchParams: URLSearchParams
  parsed: ReturnType<typeof parseApiPath>
}

/** Read a request and record it in `requests` (and `sink`, where its reply will be recorded). */
async function receive(req: IncomingMessage, store: EmulatorStore, requests: RecordedRequest[], sink: { entry?: RecordedRequest }): Promise<ReceivedRequest> {
  const { text, tooLarge } = await readBody(req)
  const { pathname, searchParams } = new URL(req.url ?? '/', 'http://emulator.invalid')
  const parsed = parseApiPath(pathname)
  const json = parseJson(text)
  sink.entry = {
    method: req.method ?? 'GET',
    path: pathname,
    apiPath: parsed?.apiPath ?? pathname,
    version: parsed?.version,
    headers: req.headers,
    body: json === undefined ? text : json,
    receivedAt: store.now(),
  }
  requests.push(sink.entry)
  return { tooLarge, json, pathname, searchParams, parsed }
}

/** Answer a received request that no fault dealt with: route, credentials, method, body, handler. */
function answer(req: IncomingMessage, received: ReceivedRequest, { store, credentials }: ApiServerParts, send: Send): void {
  const { parsed, json } = received
  const route = parsed && routeOf(parsed.apiPath)
  if (!parsed || !route) return send(404, apiError(RESULTS.unknownApi))
  if (!credentialsValid(req, parsed, credentials)) {
    const challenge = parsed.version === 'V3' ? 'Bearer realm="Authlete"' : 'Basic realm="Authlete"'
    return send(401, apiError(RESULTS.unauthorizedApiCall), { 'www-authenticate': challenge })
  }
  if (req.method !== route.method) return wrongMethod(send, route.method)
  if (route.method === 'GET') {
    const reply = route.handler(store, received.searchParams, { version: parsed.version })
    return send(reply.status, reply.body)
  }
  if (received.tooLarge) return send(413, apiError(RESULTS.requestBodyTooLarge))
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return send(400, apiError(RESULTS.invalidRequestBody))
  send(200, route.handler(store, json as Record<string, unknown>, { version: parsed.version }))
}

/** Stop the server: clear fault timers, close, and destroy every open (also hanging) socket. */
function closeServer(server: Server, sockets: Set<Socket>, delays: { clear(): void }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    delays.clear()
    if (!server.listening) return resolve()
    server.close((error) => (error ? reject(error) : resolve()))
    // Hanging and keep-alive sockets would otherwise hold close() open.
    server.closeAllConnections()
    for (const socket of sockets) socket.destroy()
  })
}

/**
 * The emulator's HTTP server: records every request (and, once sent, its reply), applies injected
 * faults, checks the service credentials (v2 HTTP Basic on `/api/...`, v3 Bearer on
 * `/api/{serviceId}/...`), routes POSTs with a JSON object body to the handlers with the API
 * version (and GETs with their query to the GET APIs, `/service/configuration`), and answers
 * verdicts with HTTP 200 as Authlete does.
 */
export function createApiServer(parts: ApiServerParts): ApiServer {
  const sockets = new Set<Socket>()
  const delays = faultDelays()

  const handle = async (req: IncomingMessage, send: Send, sink: { entry?: RecordedRequest }): Promise<void> => {
    const received = await receive(req, parts.store, parts.requests, sink)
    const fault = parts.faults.take(received.parsed?.apiPath ?? received.pathname)
    if (fault && (await applyFault(fault, req, send, delays.delay))) return
    answer(req, received, parts, send)
  }

  const server = createServer((req, res) => {
    const sink: { entry?: RecordedRequest } = {}
    const send: Send = (status, body, headers) => sendJson(res, status, body, headers, sink.entry)
    handle(req, send, sink).catch(() => send(500, apiError(RESULTS.internalError)))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  return { server, close: () => closeServer(server, sockets, delays) }
}
