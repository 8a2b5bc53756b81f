import { DEFAULT_TIMEOUT_MS } from './authlete/config'
import { checkReady } from './authlete/ready'
import { decide, denyServerError } from './decision'
import { AuthleteGuardError, isAuthleteGuardError } from './errors'
import { extractIntrospectionRequest } from './extract'
import { GUARD_OPTION_KEYS, invalid, rejectUnknownKeys, resolveAuthlete, resolveCommonOptions, validateRouteOptions } from './options'
import { requestPath } from './public-url'
import { createReporter } from './report'
import { checkChannel, type CheckEvent, type DecisionReason } from './diagnostics'
import { debugDenial } from './debug'
import { cacheKeyOf, createIntrospectionCache, type CachedIntrospection, type IntrospectionCache } from './cache/introspection-cache'
import { refreshDue, refreshRequest, refusedByRefresh } from './cache/refresh-ahead'
import { unmetRequirement } from './cache/requirements'
import { createThumbprintExplainer } from './authlete/bound-thumbprint'
import { hashedOnce, serviceIdentity } from './authlete/service'
import { denyCredentials, toAccessTokenInfo, type ChallengeOptions } from './decision'
import { webCrypto, type ProofCrypto } from './dpop/crypto'
import { checkProof, type CheckedProof } from './dpop/verify'
import { dpopNonceOf } from './response-headers'
import { createReplayCheck, denyReplayLimited } from './replay/check'
import { createMemoryReplayStore, type ReplayLimited, type ReplayStore } from './replay/store'
import { storeCall } from './store-call'
import type { AllowDecision, Decision, DenyDecision, Guard, GuardOptions, IntrospectionRequest, IntrospectionResponse, RequestLike, RouteOptions } from './types'

export { DEFAULT_TIMEOUT_MS }
export { DEFAULT_DPOP_ALGS, validateRouteOptions } from './options'

/**
 * Default `iat` window of DPoP proofs, seconds: how old a proof may be, and how far ahead of this
 * server's clock (RFC 9449 §11.1). Accepted proofs are remembered for the sum of both.
 *
 * @example
 * createGuard({ authlete, dpopIat: { ...DEFAULT_DPOP_IAT, maxAgeSeconds: 60 } })
 */
export const DEFAULT_DPOP_IAT = Object.freeze({ maxAgeSeconds: 300, maxFutureSeconds: 60 })

/** Where a check was decided and why (filled as it runs). */
interface Note {
  /** Someone listens (onDecision, the check channel): worth an extra call to explain a key mismatch. */
  detailed?: boolean
  scheme?: 'DPoP' | 'Bearer' | undefined
  source: CheckEvent['source']
  reason?: DecisionReason | undefined
}

/** What one request proved, for a second guard on the same request (stacked `protect`). */
interface Proven {
  token: string
  dpop: string | undefined
  htm: string | undefined
  htu: string | undefined
  facts: IntrospectionResponse
  nonce: string | undefined
  source: 'authlete' | 'cache'
  /** Whether a nonce was required (and so checked by Authlete or the cache) for this request. */
  nonceRequired: boolean
  /** When it was proven, ms since the epoch. */
  at: number
}

/** How long a request's proof serves the guards it passes through (one request's middleware chain). */
const SAME_REQUEST_MS = 30_000

function positiveSeconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(`dpopIat.${name} must be a number of seconds, 0 or more.`)
  return value
}

function resolveCache(cache: GuardOptions['cache']): IntrospectionCache | undefined {
  if (cache === undefined || cache === false) return undefined
  if (cache === true) return createIntrospectionCache({})
  if (cache === null || typeof cache !== 'object') invalid('cache must be true, false or { ttlMs, maxEntries }.')
  rejectUnknownKeys(cache, ['ttlMs', 'maxEntries', 'store'], 'cache')
  if (cache.store !== undefined && (cache.store === null || typeof cache.store.get !== 'function' || typeof cache.store.set !== 'function')) invalid('cache.store must be an IntrospectionCacheStore ({ get(key), set(key, entry, ttlMs) }).')
  if (cache.ttlMs !== undefined && (!Number.isInteger(cache.ttlMs) || cache.ttlMs < 1 || cache.ttlMs > 86_400_000)) invalid('cache.ttlMs must be a whole number of milliseconds from 1 to 86400000.')
  if (cache.maxEntries !== undefined && (!Number.isInteger(cache.maxEntries) || cache.maxEntries < 1)) invalid('cache.maxEntries must be a positive whole number.')
  return createIntrospectionCache(cache)
}

function resolveReplay(replay: GuardOptions['replay']): ReplayStore | undefined {
  if (replay === false) return undefined
  if (replay === undefined) return createMemoryReplayStore()
  if (replay === null || typeof replay !== 'object' || typeof (replay as ReplayStore).remember !== 'function') invalid('replay must be a ReplayStore ({ remember(key, ttlMs, owner), seen?(key, owner) }) or false.')
  if (replay.seen !== undefined && typeof replay.seen !== 'function') invalid('replay.seen must be a function (key, owner) => Promise<boolean>, or absent.')
  return replay
}

/**
 * Create the guard: the one object adapters use. `check` runs the stages in order: extract
 * (request -> credentials and htu, pure), verify the DPoP proof locally (WebCrypto, RFC 9449 §4.3),
 * introspect (the cache when enabled and the proof pins the same key, else one Authlete call,
 * shared by concurrent misses), decide (reply or cached facts -> decision), and remember the
 * proof's `jti` (replay store) before allowing. Misconfiguration throws here, with code
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
  if (!options || typeof options !== 'object') invalid('createGuard needs an options object with at least { authlete }.')
  rejectUnknownKeys(options, GUARD_OPTION_KEYS, 'createGuard')
  const { authlete: authleteOptions, cache: cacheOption, replay: replayOption, dpopIat, now: clock, onDecision, ...rest } = options
  if (onDecision !== undefined && typeof onDecision !== 'function') invalid('onDecision must be a function (event) => void.')
  const context = resolveCommonOptions(rest)
  if (dpopIat !== undefined && (dpopIat === null || typeof dpopIat !== 'object')) invalid('dpopIat must be { maxAgeSeconds, maxFutureSeconds }.')
  if (dpopIat) rejectUnknownKeys(dpopIat, ['maxAgeSeconds', 'maxFutureSeconds'], 'dpopIat')
  const maxAgeSeconds = positiveSeconds(dpopIat?.maxAgeSeconds ?? DEFAULT_DPOP_IAT.maxAgeSeconds, 'maxAgeSeconds')
  const maxFutureSeconds = positiveSeconds(dpopIat?.maxFutureSeconds ?? DEFAULT_DPOP_IAT.maxFutureSeconds, 'maxFutureSeconds')
  if (clock !== undefined && typeof clock !== 'function') invalid('now must be a function returning ms since the epoch.')
  const now = clock ?? Date.now
  const cache = resolveCache(cacheOption)
  const replay = resolveReplay(replayOption)
  /** A call to the introspection cache's store, bounded in time unless it is the built-in one. */
  const cacheCall = <T>(promise: Promise<T>): Promise<T> => storeCall(promise, 'introspection cache store', cache!.inMemory)
  const authlete = resolveAuthlete(authleteOptions)
  // Every cache and replay key carries the service's hash: guards of two services sharing a store
  // never serve each other's entries. Hashed once, at the first check that needs it.
  const sharedStores = (typeof cacheOption === 'object' && cacheOption.store !== undefined) || (replayOption !== undefined && replayOption !== false)
  const serviceHash = hashedOnce(serviceIdentity(authlete, sharedStores), proofCrypto)
  const replayCheck = replay && createReplayCheck(replay, (maxAgeSeconds + maxFutureSeconds) * 1000, proofCrypto)
  const explainMismatch = createThumbprintExplainer(authlete, now)
  const report = createReporter(rest.onError)
  // Keyed by the request's header bag: the same object for every guard a request passes through.
  const proven = new WeakMap<object, Proven>()

  /** The route judged against facts Authlete already gave (cache hit, coalesced miss, stacked guard). */
  function fromFacts(facts: IntrospectionResponse, nonce: string | undefined, source: 'authlete' | 'cache', route: RouteOptions, challenge: Challenge): Decision {
    const unmet = unmetRequirement(facts, route, challenge, now())
    if (unmet) return withNonce(unmet, nonce)
    const headers: Record<string, string> = {}
    if (nonce) headers['DPoP-Nonce'] = nonce
    return { allowed: true, auth: toAccessTokenInfo(facts, challenge.scheme, source), headers }
  }

  /** One Authlete call and the decision on its reply. */
  async function introspect(body: IntrospectionRequest, challenge: Challenge): Promise<Introspected> {
    const response = await authlete.call<IntrospectionResponse>('/auth/introspection', body)
    const resultCode = typeof response.resultCode === 'string' ? response.resultCode.slice(0, 16) : undefined
    if (typeof response.action !== 'string') {
      throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s introspection reply has no action.', { resultCode })
    }
    // Reference §9: with dpopNonceRequired, Authlete 3.0's OK carries the nonce for the next proof.
    if (body.dpopNonceRequired === true && response.action === 'OK' && dpopNonceOf(response) === undefined) {
      throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete answered OK without a dpopNonce for a route with dpopNonceRequired.', { resultCode })
    }
    return { decision: decide(response, challenge), response }
  }

  /**
   * Refresh-ahead: an allowed request served by an entry in the last fifth of its life
   * (`refreshDue`) re-introspects its presentation in the background, without the route's
   * requirements (`refreshRequest`), one call per entry at a time, so a busy token never waits for
   * Authlete when its entry runs out. OK renews the entry; a definite "no" ends it (the next request
   * asks Authlete); anything else (Authlete's INTERNAL_SERVER_ERROR, an unknown action, a failed
   * call) is reported and leaves the entry to its end.
   */
  function refreshAhead(key: string, entry: CachedIntrospection, body: IntrospectionRequest, scheme: 'DPoP' | 'Bearer', request: RequestLike, path: string): void {
    if (!refreshDue(entry, cache!.ttlMs, now())) return
    const shared = cache!.coalesce(key, () => introspect(refreshRequest(body), { ...context, scheme }))
    if (!shared.leader) return
    shared.result
      .then(({ decision, response }) => {
        const t = now()
        if (decision.allowed) return cacheCall(cache!.set(key, { facts: response, jkt: entry.jkt, nonce: dpopNonceOf(response), until: Math.min(t + cache!.ttlMs, response.expiresAt!) }, t))
        if (decision.cause) report(decision.cause, 'introspection', request, path)
        // Unusable from now on, in any store: get() never serves an entry past `until`.
        if (refusedByRefresh(response)) return cacheCall(cache!.set(key, { ...entry, until: t }, t))
        return undefined
      })
      .catch((error: unknown) => report(isAuthleteGuardError(error) ? error : new AuthleteGuardError('ERR_INTERNAL', 'The background refresh of a cached introspection failed unexpectedly inside authlete-guard.', { cause: error }), 'introspection', request, path))
  }

  /**
   * The facts for one presentation: the cache when an entry pins the same presentation (and the
   * nonce fits), else Authlete, one call shared by concurrent misses. `decision` is Authlete's own
   * verdict when it answered this request; otherwise the caller judges the route against `facts`.
   */
  async function lookUp(key: string | undefined, body: IntrospectionRequest, proof: CheckedProof | undefined, route: RouteOptions, challenge: Challenge): Promise<Found> {
    if (key) {
      const entry = await cacheCall(cache!.get(key, now()))
      if (entry && entry.facts.expiresAt! > now() && nonceFits(entry.nonce, route, proof)) return { facts: { response: entry.facts, nonce: entry.nonce, source: 'cache' }, hit: entry }
    }
    const call = () => introspect(body, challenge)
    let outcome: Introspected
    if (key && !route.dpopNonceRequired) {
      // Concurrent misses for one token and presentation share one Authlete call. A follower
      // takes the leader's facts only when they allow and fit its own proof's nonce, then
      // judges its own route; otherwise it asks Authlete itself.
      const shared = cache!.coalesce(key, call)
      const led = await shared.result
      const nonce = dpopNonceOf(led.response)
      if (!shared.leader && led.decision.allowed && nonceFits(nonce, route, proof)) return { facts: { response: led.response, nonce, source: 'authlete' } }
      outcome = shared.leader ? led : await call()
    } else {
      outcome = await call()
    }
    if (!outcome.decision.allowed) return { refused: { decision: outcome.decision, response: outcome.response } }
    const nonce = dpopNonceOf(outcome.response)
    if (key) await cacheCall(cache!.set(key, { facts: outcome.response, jkt: proof?.jkt, nonce, until: Math.min(now() + cache!.ttlMs, outcome.response.expiresAt!) }, now()))
    return { decision: outcome.decision, facts: { response: outcome.response, nonce, source: 'authlete' } }
  }

  /** Authlete's refusal, with its reason; for a key mismatch (A065309) and a listener, the key the token is bound to. */
  async function refusedByAuthlete({ decision, response }: Introspected & { decision: DenyDecision }, note: Note, proof: CheckedProof | undefined, token: string, tokenHash: string | undefined, request: RequestLike, path: string): Promise<DenyDecision> {
    const resultCode = typeof response.resultCode === 'string' ? response.resultCode.slice(0, 16) : undefined
    note.reason = { check: 'authlete', resultCode, proofJkt: proof?.jkt }
    // RFC 7662 introspection (cnf.jkt): one more call, at most once per token a minute.
    if (note.detailed && proof && tokenHash && resultCode === 'A065309') note.reason.tokenJkt = await explainMismatch(token, tokenHash)
    if (decision.cause) report(decision.cause, 'introspection', request, path)
    return decision
  }

  /** The route options, checked against this guard's Authlete too; a bad route denies (500) rather than drop the check it meant. */
  function routeFault(request: RequestLike, route: RouteOptions): DenyDecision | undefined {
    try {
      validateRouteOptions(route, { authlete }) // once per route object; adapters already did it at start-up
      return undefined
    } catch (error) {
      report(error as AuthleteGuardError, 'introspection', request, requestPath(request.url))
      return denyServerError(error as AuthleteGuardError, undefined, context)
    }
  }

  /** One check; `note` collects where it was decided and why, for onDecision and the check channel. */
  async function run(request: RequestLike, route: RouteOptions, note: Note): Promise<Decision> {
    const fault = routeFault(request, route)
    if (fault) return fault
    const extraction = extractIntrospectionRequest(request, route, context)
    if (!extraction.ok) return extraction.denial
    const { body, scheme, path } = extraction
    note.scheme = scheme
    const challenge = { ...context, scopes: route.scopes, scheme }

    // A second guard on the same request reuses what the first proved: no second proof check, no
    // false replay, no second Authlete call; only its own route requirements are judged.
    const bag = request.headers as object
    const earlier = proven.get(bag)
    // Bounded in time too: a header object reused for another request (a custom adapter's bug)
    // must not turn into a replay window.
    const sameRequest = earlier !== undefined && now() - earlier.at < SAME_REQUEST_MS && earlier.token === body.token && earlier.dpop === body.dpop && earlier.htm === body.htm && earlier.htu === body.htu
    // A nonce this guard's route requires and the earlier one did not is Authlete's to check.
    if (sameRequest && (!route.dpopNonceRequired || earlier.nonceRequired)) {
      note.source = earlier.source
      return fromFacts(earlier.facts, earlier.nonce, earlier.source, route, challenge)
    }

    try {
      let proof: CheckedProof | undefined
      // One SHA-256 of the token per request: the proof's ath and the cache key.
      // (node:crypto hashes synchronously: no await, no microtask, for a string.)
      let tokenHash = scheme === 'DPoP' || cache !== undefined ? proofCrypto.sha256(body.token) : undefined
      if (typeof tokenHash === 'object') tokenHash = await tokenHash
      if (scheme === 'DPoP') {
        const checked = await checkProof(body.dpop!, { htm: body.htm!, htu: body.htu!, accessToken: body.token, tokenHash, crypto: proofCrypto, algs: context.dpopAlgs, now: now(), maxAgeSeconds, maxFutureSeconds })
        if (!checked.ok) {
          note.reason = checked.reason
          return denyCredentials({ ok: false, kind: 'invalid_dpop_proof', description: checked.description, scheme }, challenge)
        }
        proof = checked
      }
      let service = cache !== undefined || (proof && replayCheck) ? serviceHash() : ''
      if (typeof service === 'object') service = await service

      // RFC 9449 §11.1, early: a proof the store already holds never reaches the cache or Authlete.
      // (The same request through a second guard already spent its proof: no false replay.)
      const record = proof && replayCheck && !sameRequest ? await replayCheck.record(service, proof) : undefined
      if (record && (await replayCheck!.seen(record))) return replayed(note, proof!, challenge)

      // Cached facts serve only a presentation like the one Authlete accepted: same scheme, and
      // for DPoP a locally verified proof of the same key. Certificate-bound tokens always ask Authlete.
      const cacheable = cache !== undefined && !body.clientCertificate && (proof === undefined || proof.signatureVerified)
      const key = cacheable ? cacheKeyOf(service, tokenHash!, scheme, proof?.jkt) : undefined
      const found = await lookUp(key, body, proof, route, challenge)
      note.source = found.facts?.source ?? 'authlete'
      if (found.refused) return await refusedByAuthlete(found.refused, note, proof, body.token, tokenHash, request, path)
      const decision = found.decision ?? fromFacts(found.facts!.response, found.facts!.nonce, found.facts!.source, route, challenge)
      if (!decision.allowed) return decision

      // Each proof once: remembered last, when every other check has passed.
      const stored = record ? await replayCheck!.remember(record) : true
      if (stored !== true) return stored === false ? replayed(note, proof!, challenge) : limited(stored, note, proof!, decision)
      if (found.hit && !route.dpopNonceRequired) refreshAhead(key!, found.hit, body, scheme, request, path)
      proven.set(bag, {
        token: body.token, dpop: body.dpop, htm: body.htm, htu: body.htu, at: now(),
        facts: decision.auth.raw, nonce: decision.headers['DPoP-Nonce'], source: decision.auth.source,
        nonceRequired: route.dpopNonceRequired === true || earlier?.nonceRequired === true,
      })
      return decision
    } catch (error) {
      note.source = isAuthleteGuardError(error) && error.code.startsWith('ERR_AUTHLETE') ? 'authlete' : 'local'
      // Authlete's faults arrive coded; anything else is a bug here, never a reason to allow.
      return fail(isAuthleteGuardError(error) ? error : new AuthleteGuardError('ERR_INTERNAL', 'The introspection failed unexpectedly inside authlete-guard.', { cause: error }), scheme, challenge, request, path)
    }
  }

  /** A 500 for an infrastructure fault, reported. */
  function fail(cause: AuthleteGuardError, scheme: 'DPoP' | 'Bearer', challenge: Challenge, request: RequestLike, path: string): DenyDecision {
    report(cause, 'introspection', request, path)
    return denyServerError(cause, scheme, challenge)
  }

  async function check(request: RequestLike, route: RouteOptions = {}): Promise<Decision> {
    const traced = checkChannel?.hasSubscribers === true
    if (!traced && !onDecision) {
      const note: Note = { source: 'local' }
      const decision = withReason(await run(request, route, note), note)
      debugDenial(request, decision) // NODE_DEBUG=authlete-guard: one stderr line per denial
      return decision
    }
    const started = performance.now()
    const event = { method: request.method.toUpperCase(), path: requestPath(request.url), scheme: undefined, route } as CheckEvent
    const work = async () => {
      const note: Note = { source: 'local', detailed: true }
      const decision = withReason(await run(request, route, note), note)
      Object.assign(event, {
        scheme: note.scheme,
        allowed: decision.allowed,
        status: decision.allowed ? 200 : decision.status,
        error: decision.allowed ? undefined : decision.error,
        source: note.source,
        durationMs: performance.now() - started,
        reason: note.reason,
        errorCode: decision.allowed ? undefined : decision.cause?.code,
      })
      return decision
    }
    // As for Authlete calls: the traced function returns nothing, so the decision (and its
    // principal) never lands on the published context as `result`.
    let decision!: Decision
    const capture = async () => {
      decision = await work()
    }
    if (traced) await checkChannel!.tracePromise(capture, event)
    else await capture()
    debugDenial(request, decision)
    if (onDecision) {
      try {
        onDecision(event)
      } catch {
        // The decision stands whatever the hook does.
      }
    }
    return decision
  }

  return {
    check,
    options: Object.freeze({ ...rest }),
    authlete,
    ready: () => checkReady(authlete),
    close: () => authlete.close(),
  }
}

/** A denial carries its operator reason (never sent to the client) for adapters' logs. */
function withReason(decision: Decision, note: Note): Decision {
  if (!decision.allowed && note.reason) decision.reason = note.reason
  return decision
}

type Challenge = ChallengeOptions & { scheme: 'DPoP' | 'Bearer' }

/** One Authlete answer and the decision on it. */
interface Introspected {
  decision: Decision
  response: IntrospectionResponse
}

/** What the cache or Authlete said about one presentation (`lookUp`). */
interface Found {
  /** Authlete refused this request. */
  refused?: Introspected & { decision: DenyDecision }
  /** Authlete allowed this request, having judged its route itself. */
  decision?: AllowDecision
  /** The facts that allow it; without `decision`, the route is judged against them here. */
  facts?: { response: IntrospectionResponse; nonce: string | undefined; source: 'authlete' | 'cache' }
  /** The cache entry that served them, refreshed ahead once the request is allowed. */
  hit?: CachedIntrospection
}

/** Whether facts carrying `nonce` serve this request: none where none is required, else the nonce its proof carries. */
function nonceFits(nonce: string | undefined, route: RouteOptions, proof: CheckedProof | undefined): boolean {
  return (nonce === undefined && !route.dpopNonceRequired) || (nonce !== undefined && proof?.nonce === nonce)
}

/** A proof used before (RFC 9449 §11.1): 401 `invalid_dpop_proof`, decided by the guard itself. */
function replayed(note: Note, proof: CheckedProof, challenge: Challenge): DenyDecision {
  note.source = 'local'
  note.reason = { check: 'replay', proofJkt: proof.jkt }
  return denyCredentials({ ok: false, kind: 'invalid_dpop_proof', description: 'The DPoP proof has been used before.', scheme: challenge.scheme }, challenge)
}

/** A proof the replay store would not take (its key holds its share, or the store is full): 429 with `Retry-After`. */
function limited(answer: ReplayLimited, note: Note, proof: CheckedProof, allowed: AllowDecision): DenyDecision {
  note.source = 'local'
  note.reason = { check: 'replay-limit', proofJkt: proof.jkt, retryAfterSeconds: answer.retryAfterSeconds }
  return denyReplayLimited(answer, allowed.headers['DPoP-Nonce'])
}

/** A denial carrying the nonce the client must use next, when there is one. */
function withNonce(denial: DenyDecision, nonce: string | undefined): DenyDecision {
  if (nonce) denial.headers['DPoP-Nonce'] = nonce
  return denial
}
