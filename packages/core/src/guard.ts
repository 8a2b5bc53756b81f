import { createThumbprintExplainer } from './authlete/bound-thumbprint'
import { callIntrospection } from './authlete/introspection'
import { checkReady } from './authlete/ready'
import { dpopNonceOf, resultCodeOf } from './authlete/reply'
import { hashedOnce } from './authlete/service'
import { cacheKeyOf, type IntrospectionCache } from './cache/introspection-cache'
import { keep, lookup, nonceFits } from './cache/lookup'
import type { SchemeChallenge } from './decision/challenge'
import { withCertificateThumbprint } from './decision/certificate'
import { decide } from './decision/decide'
import { denyCredentials, denyReplayLimited, denyServerError } from './decision/deny'
import { judge, unmetAudience, type JudgeContext } from './decision/requirements'
import { observeCheck, type CheckEvent, type CheckOutcome as Outcome } from './diagnostics'
import { webCrypto, type ProofCrypto } from './dpop/crypto'
import { checkProof, type CheckedProof } from './dpop/verify'
import { asGuardError, isAuthleteGuardError, type AuthleteGuardError } from './errors'
import { resolveGuardOptions, validateRouteOptions, type GuardContext, type GuardOptions } from './options'
import { createReplayCheck, type ProofRecord, type ReplayCheck } from './replay/check'
import { createReporter, type Reporter } from './report'
import type { PresentedCertificate } from './request/client-certificate'
import { extractIntrospectionRequest } from './request/extract'
import { prove, reuse, type Proven, type ProvenRequests } from './request/reuse'
import { requestPath } from './request/public-url'
import type { ProtectedResourceMetadata } from './resource/metadata'
import type { AllowDecision, AuthleteClient, Decision, DecisionReason, DenyDecision, IntrospectionRequest, IntrospectionResponse, RequestLike, RouteOptions } from './types'

/** The guard an adapter uses. */
export interface Guard {
  /** Decide on one request. Never throws for a bad request or an Authlete failure: those are denials. */
  check(request: RequestLike, route?: RouteOptions): Promise<Decision>
  /** The options the guard was created with, minus `authlete` (frozen; no adapter needs them). */
  readonly options: Readonly<Omit<GuardOptions, 'authlete'>>
  /** The Authlete client the guard calls. */
  readonly authlete: AuthleteClient
  /**
   * Make one cheap authenticated Authlete call (an introspection of a token that cannot exist)
   * and resolve when Authlete answered it as a configured service does; reject with an
   * `AuthleteGuardError` naming the precise cause otherwise (wrong credentials or service id,
   * wrong base URL, unreachable, timeout). Call it at start-up to fail fast.
   */
  ready(): Promise<void>
  /** Close the keep-alive connections to Authlete. */
  close(): Promise<void>
  /**
   * The URL of the protected resource metadata (RFC 9728 §3.1) for the `resource` option, as
   * written: the well-known segment inserted before the resource's path
   * (`https://api.example.com/.well-known/oauth-protected-resource/mcp`); `undefined` without `resource`.
   */
  readonly resourceMetadataUrl: string | undefined
  /**
   * The protected resource metadata document (RFC 9728 §2), a fresh plain object each call: `resource`
   * (the option as written), the `resourceMetadata` members, `bearer_methods_supported` (default
   * `['header']`) and `dpop_signing_alg_values_supported` (the guard's `dpopAlgs`). Throws
   * `ERR_INVALID_CONFIG` on a guard without `resource` (`createGuard` requires `resourceMetadata`
   * with it, so a guard with `resource` always has the document).
   *
   * @example
   * app.get(new URL(guard.resourceMetadataUrl!).pathname, (req, res) => res.json(guard.resourceMetadata()))
   */
  resourceMetadata(): ProtectedResourceMetadata
}

/**
 * Create the guard: the one object adapters use. `check` runs the stages in order: extract
 * (request -> credentials and htu, pure), reuse (a stacked guard on the same request), verify the
 * DPoP proof locally (WebCrypto, RFC 9449 §4.3), the replay lookup, the cache or Authlete (one call
 * shared by concurrent misses), judge (reply or cached facts -> decision), remember the proof's
 * `jti` (replay store) before allowing. Misconfiguration throws here, with code
 * `ERR_INVALID_CONFIG`; a bad request or a failing Authlete or store is a denial, never an exception.
 *
 * @example
 * const guard = createGuard({
 *   authlete: { baseUrl: 'https://us.authlete.com', serviceId: '715948317', accessToken: process.env.AUTHLETE_SERVICE_ACCESSTOKEN },
 *   publicUrl: 'https://api.example.com',
 *   cache: { ttlMs: 30_000 },
 * })
 * const decision = await guard.check({ method: 'GET', url: '/api/me', headers }, { scopes: ['profile'] })
 * if (decision.allowed) console.log(decision.auth.subject, decision.auth.source)
 */
export function createGuard(options: GuardOptions): Guard {
  return createGuardWith(options, webCrypto)
}

/** `createGuard` with the runtime's DPoP primitives (`@authlete-guard/core/node` passes node:crypto's). */
export function createGuardWith(options: GuardOptions, proofCrypto: ProofCrypto): Guard {
  const resolved = resolveGuardOptions(options)
  const { authlete, replay, now } = resolved
  const guard: Pipeline = {
    ...resolved,
    proofCrypto,
    // Hashed once, at the first check that needs it: every cache and replay key carries it.
    serviceHash: hashedOnce(resolved.service, proofCrypto),
    replayCheck: replay && createReplayCheck(replay, (resolved.maxAgeSeconds + resolved.maxFutureSeconds) * 1000, proofCrypto),
    explainMismatch: createThumbprintExplainer(authlete, now),
    report: createReporter(resolved.rest.onError),
    // Keyed by the request's header bag: the same object for every guard a request passes through.
    proven: new WeakMap(),
  }
  return {
    check: (request, route = {}) => observeCheck(request, route, (detailed) => run(guard, request, route, detailed), guard.onDecision),
    options: Object.freeze({ ...resolved.rest }),
    authlete,
    ready: () => checkReady(authlete),
    close: () => authlete.close(),
    resourceMetadataUrl: resolved.resourceMetadataUrl,
    resourceMetadata: resolved.resourceMetadata,
  }
}

/** What one guard's stages share: its resolved options, stores, Authlete client and reporter. */
interface Pipeline {
  context: GuardContext
  authlete: AuthleteClient
  proofCrypto: ProofCrypto
  cache: IntrospectionCache | undefined
  replayCheck: ReplayCheck | undefined
  serviceHash: () => string | Promise<string>
  explainMismatch: (token: string, tokenHash: string) => Promise<string | undefined>
  report: Reporter
  now: () => number
  maxAgeSeconds: number
  maxFutureSeconds: number
  onDecision: ((event: CheckEvent) => void) | undefined
  proven: ProvenRequests
}

/** One request as the stages see it: what it presents, for which route, and how to answer it. */
interface Presentation {
  request: RequestLike
  route: RouteOptions
  body: IntrospectionRequest
  scheme: 'DPoP' | 'Bearer'
  /** The client certificate the request presented through the guard's `clientCertificate` source. */
  certificate: PresentedCertificate | undefined
  /** The request path (no query), for reports. */
  path: string
  challenge: JudgeContext
  /** Someone listens (onDecision, the check channel): worth an extra call to explain a key mismatch. */
  detailed: boolean
}

/** The stages in order: each returns a value; the first that decides ends the check. */
async function run(guard: Pipeline, request: RequestLike, route: RouteOptions, detailed: boolean): Promise<Outcome> {
  const fault = routeFault(guard, request, route)
  if (fault) return { decision: fault, source: 'local' }
  const extraction = extractIntrospectionRequest(request, route, guard.context)
  if (!extraction.ok) return { decision: denyCredentials(extraction, { ...guard.context, scopes: route.scopes }), source: 'local' }
  const { body, scheme, path, certificate } = extraction
  const p: Presentation = { request, route, body, scheme, certificate, path, challenge: { ...guard.context, scopes: route.scopes, scheme }, detailed }
  const { earlier, same } = reuse(guard.proven, request, body, guard.now())
  // A nonce this guard's route requires and the earlier one did not is Authlete's to check.
  if (same && (!route.dpopNonceRequired || earlier!.nonceRequired)) {
    const decision = judge(earlier!.facts, earlier!.nonce, earlier!.source, route, p.challenge, guard.now())
    if (decision.allowed) decision.auth.certificateThumbprint = earlier!.certificateThumbprint
    return { decision, source: earlier!.source, scheme, reason: decision.allowed ? undefined : decision.reason }
  }
  try {
    return { ...(await verifyAndIntrospect(guard, p, earlier, same)), scheme }
  } catch (error) {
    return { ...failed(guard, error, p), scheme }
  }
}

/** Every stage after reuse; throws only for an infrastructure fault (`failed` answers it). */
async function verifyAndIntrospect(guard: Pipeline, p: Presentation, earlier: Proven | undefined, same: boolean): Promise<Outcome> {
  // One SHA-256 of the token per request: the proof's ath and the cache key.
  // (node:crypto hashes synchronously: no await, no microtask, for a string.)
  let tokenHash = p.scheme === 'DPoP' || guard.cache !== undefined ? guard.proofCrypto.sha256(p.body.token) : undefined
  if (typeof tokenHash === 'object') tokenHash = await tokenHash
  let proof: CheckedProof | undefined
  if (p.scheme === 'DPoP') {
    const checked = await verifyProof(guard, p.body, tokenHash)
    if (!checked.ok) return { decision: denyCredentials({ ok: false, kind: 'invalid_dpop_proof', description: checked.description, scheme: p.scheme }, p.challenge), source: 'local', reason: checked.reason }
    proof = checked
  }
  // The certificate's thumbprint (x5t#S256): a cache key part, and what a bound token's binding must equal.
  let thumbprint = p.certificate ? guard.proofCrypto.sha256Bytes(p.certificate.der) : undefined
  if (typeof thumbprint === 'object') thumbprint = await thumbprint
  let service = guard.cache !== undefined || (proof && guard.replayCheck) ? guard.serviceHash() : ''
  if (typeof service === 'object') service = await service
  // RFC 9449 §11.1, early: a proof the store already holds never reaches the cache or Authlete.
  // (The same request through a second guard already spent its proof: no false replay.)
  const record = proof && guard.replayCheck && !same ? await guard.replayCheck.record(service, proof) : undefined
  if (record && (await guard.replayCheck!.seen(record))) return replayed(proof!, p)

  // Cached facts serve only a presentation like the one Authlete accepted: same scheme, for DPoP
  // a locally verified proof of the same key, and the same client certificate (or none).
  const cacheable = guard.cache !== undefined && (proof === undefined || proof.signatureVerified)
  const key = cacheable ? cacheKeyOf(service, tokenHash!, p.scheme, proof?.jkt, thumbprint) : undefined
  const hit = key === undefined ? undefined : await lookup(guard.cache!, key, guard.now, p.route, proof)
  const found: Found = hit ? { kind: 'facts', facts: { response: hit.facts, nonce: hit.nonce, source: 'cache' } } : await introspect(guard, key, p, proof)
  if (found.kind === 'refused') return refusedByAuthlete(guard, found, p, proof, tokenHash)
  // Authlete judged the route on its own call (`allowed`): what is left to judge there is the audience.
  const decision = judge(found.facts.response, found.facts.nonce, found.facts.source, found.kind === 'allowed' ? {} : p.route, p.challenge, guard.now())
  if (!decision.allowed) return { decision, source: found.facts.source, reason: decision.reason }
  withCertificateThumbprint(decision, thumbprint)

  const refused = await remember(guard, record, proof, decision, p)
  if (refused) return refused
  prove(guard.proven, p.request, p.body, p.route, decision, earlier, guard.now())
  return { decision, source: found.facts.source }
}

/** Stage verify: the DPoP proof's local checks (RFC 9449 §4.3), with the guard's algs, clock and `iat` window. */
function verifyProof(guard: Pipeline, body: IntrospectionRequest, tokenHash: string | undefined) {
  const { context, proofCrypto: crypto, now, maxAgeSeconds, maxFutureSeconds } = guard
  return checkProof(body.dpop!, { htm: body.htm!, htu: body.htu!, accessToken: body.token, tokenHash, crypto, algs: context.dpopAlgs, now: now(), maxAgeSeconds, maxFutureSeconds })
}

/** What the cache or Authlete said about one presentation. */
type Found =
  /** Authlete refused this request. */
  | ({ kind: 'refused' } & Introspected & { decision: DenyDecision })
  /** Authlete allowed this request, having judged its route itself. */
  | { kind: 'allowed'; decision: AllowDecision; facts: Facts }
  /** Facts to judge the route against: a cache entry's or a coalesced leader's. */
  | { kind: 'facts'; facts: Facts }

interface Facts {
  response: IntrospectionResponse
  nonce: string | undefined
  source: 'authlete' | 'cache'
}

/** One Authlete answer and the decision on it. */
interface Introspected {
  decision: Decision
  response: IntrospectionResponse
}

/** One `/auth/introspection` call and the decision on its reply. */
async function askAuthlete(guard: Pipeline, body: IntrospectionRequest, challenge: SchemeChallenge): Promise<Introspected> {
  const response = await callIntrospection(guard.authlete, body)
  return { decision: decide(response, challenge), response }
}

/**
 * Stage introspect: Authlete's facts for a presentation the cache did not serve. Concurrent misses
 * for one key (`key`: the cache is on) share one call; a follower takes the leader's facts only
 * when they allow and fit its own proof's nonce, then judges its own route; otherwise it asks
 * Authlete itself. An OK is kept in the cache.
 */
async function introspect(guard: Pipeline, key: string | undefined, p: Presentation, proof: CheckedProof | undefined): Promise<Found> {
  const call = () => askAuthlete(guard, p.body, p.challenge)
  let outcome: Introspected
  if (key && !p.route.dpopNonceRequired) {
    const shared = guard.cache!.coalesce(key, call)
    const led = await shared.result
    const nonce = dpopNonceOf(led.response)
    if (!shared.leader && led.decision.allowed && nonceFits(nonce, p.route, proof)) return { kind: 'facts', facts: { response: led.response, nonce, source: 'authlete' } }
    outcome = shared.leader ? led : await call()
  } else {
    outcome = await call()
  }
  const { decision, response } = outcome
  if (!decision.allowed) return { kind: 'refused', decision, response }
  const nonce = dpopNonceOf(response)
  if (key) await keep(guard.cache!, key, response, proof?.jkt, nonce, guard.now())
  return { kind: 'allowed', decision, facts: { response, nonce, source: 'authlete' } }
}

/**
 * Authlete's refusal, with its reason; for a key mismatch (A065309) and a listener, the key the
 * token is bound to. A refusal of the route (`FORBIDDEN`: scopes, subject, resources, step-up) of a
 * token the reply describes (`existent`, with its audience) and that was issued for another
 * resource is the audience 401 instead, as `judge` answers on cached facts. A reply `decide` already
 * refused as unusable (500) stays a 500; a FORBIDDEN without the token's audience stays Authlete's.
 */
async function refusedByAuthlete(guard: Pipeline, { decision, response }: Introspected & { decision: DenyDecision }, p: Presentation, proof: CheckedProof | undefined, tokenHash: string | undefined): Promise<Outcome> {
  const described = response.existent === true && (Array.isArray(response.accessTokenResources) || Array.isArray(response.resources))
  const foreign = response.action === 'FORBIDDEN' && described && decision.status !== 500 ? unmetAudience(response, p.challenge) : undefined
  if (foreign) {
    // The nonce `decide` already checked (RFC 9449 §8.1 syntax), never the raw reply's.
    const nonce = decision.headers['DPoP-Nonce']
    if (nonce) foreign.headers['DPoP-Nonce'] = nonce
    return { decision: foreign, source: 'authlete', reason: foreign.reason }
  }
  const resultCode = resultCodeOf(response)
  const reason: DecisionReason = { check: 'authlete', resultCode, proofJkt: proof?.jkt }
  // RFC 7662 introspection (cnf.jkt): one more call, at most once per token a minute.
  if (p.detailed && proof && tokenHash && resultCode === 'A065309') reason.tokenJkt = await guard.explainMismatch(p.body.token, tokenHash)
  if (decision.cause) guard.report(decision.cause, 'introspection', p.request, p.path)
  return { decision, source: 'authlete', reason }
}

/**
 * Stage remember: each proof once (RFC 9449 §11.1), remembered last, when every other check has
 * passed. `undefined`: remembered (or no replay store); else the refusal: a replay, or 429 when
 * the store would not take the proof.
 */
async function remember(guard: Pipeline, record: ProofRecord | undefined, proof: CheckedProof | undefined, allowed: AllowDecision, p: Presentation): Promise<Outcome | undefined> {
  const stored = record ? await guard.replayCheck!.remember(record) : true
  if (stored === true) return undefined
  if (stored === false) return replayed(proof!, p)
  const reason = { check: 'replay-limit', proofJkt: proof!.jkt, retryAfterSeconds: stored.retryAfterSeconds }
  return { decision: denyReplayLimited(stored, allowed.headers['DPoP-Nonce']), source: 'local', reason }
}

/** A proof used before (RFC 9449 §11.1): 401 `invalid_dpop_proof`, decided by the guard itself. */
function replayed(proof: CheckedProof, p: Presentation): Outcome {
  const decision = denyCredentials({ ok: false, kind: 'invalid_dpop_proof', description: 'The DPoP proof has been used before.', scheme: p.scheme }, p.challenge)
  return { decision, source: 'local', reason: { check: 'replay', proofJkt: proof.jkt } }
}

/** The route options, checked against this guard's Authlete too; a bad route denies (500) rather than drop the check it meant. */
function routeFault(guard: Pipeline, request: RequestLike, route: RouteOptions): DenyDecision | undefined {
  try {
    validateRouteOptions(route, guard) // once per route object; adapters already did it at start-up
    return undefined
  } catch (error) {
    guard.report(error as AuthleteGuardError, 'introspection', request, requestPath(request.url))
    return denyServerError(error as AuthleteGuardError, undefined, guard.context)
  }
}

/** An infrastructure fault: a 500, reported. Authlete's faults arrive coded; anything else is a bug here, never a reason to allow. */
function failed(guard: Pipeline, error: unknown, p: Presentation): Outcome {
  const cause = asGuardError(error, 'introspection')
  guard.report(cause, 'introspection', p.request, p.path)
  const source = isAuthleteGuardError(error) && error.code.startsWith('ERR_AUTHLETE') ? 'authlete' : 'local'
  return { decision: denyServerError(cause, p.scheme, p.challenge), source }
}
