/**
 * A failure the emulator can simulate, to test that callers fail closed:
 * - `latency`: wait `ms`, then answer normally;
 * - `status`: answer HTTP `status` with `body` (default an Authlete-style `{resultCode, resultMessage}`);
 * - `garbage`: HTTP 200, `application/json`, a body that is not JSON;
 * - `hang`: never answer (the socket stays open until `close()`);
 * - `reset`: destroy the connection without answering;
 * - `reply`: answer `body` verbatim with `status` (default 200), e.g. to script any Authlete `action`.
 */
export type Fault =
  | { type: 'latency'; ms: number }
  | { type: 'status'; status: number; body?: unknown }
  | { type: 'garbage' }
  | { type: 'hang' }
  | { type: 'reset' }
  | { type: 'reply'; status?: number; body: unknown }

/** Which requests a fault applies to, and how many times. */
export interface FaultOptions {
  /** How many matching requests get the fault; default: until `clear()`. */
  times?: number
  /** API path after `/api[/serviceId]` (exact string, e.g. `/auth/introspection`) or a RegExp; default all. */
  path?: string | RegExp
}

/**
 * Fault injection controls (`emu.faults`).
 *
 * @example
 * ```ts
 * emu.faults.inject({ type: 'status', status: 503 }, { times: 1, path: '/auth/introspection' })
 * emu.faults.inject({ type: 'reply', body: { action: 'SOMETHING_NEW' } })
 * emu.faults.clear()
 * ```
 */
export interface FaultInjector {
  inject(fault: Fault, options?: FaultOptions): void
  clear(): void
}

interface FaultEntry {
  fault: Fault
  remaining: number
  path?: string | RegExp
}

/** Queue of injected faults; the first entry matching a request's API path applies. */
export class Faults implements FaultInjector {
  readonly #entries: FaultEntry[] = []

  inject(fault: Fault, options: FaultOptions = {}): void {
    const remaining = options.times ?? Number.POSITIVE_INFINITY
    if (!(remaining > 0)) throw new RangeError('faults.inject: times must be a positive number')
    this.#entries.push({ fault, remaining, path: options.path })
  }

  clear(): void {
    this.#entries.length = 0
  }

  /** The fault for a request to `apiPath`, consuming one use of it; undefined when none applies. */
  take(apiPath: string): Fault | undefined {
    const index = this.#entries.findIndex(({ path }) =>
      path === undefined ? true : typeof path === 'string' ? path === apiPath : new RegExp(path.source, path.flags.replace('g', '')).test(apiPath),
    )
    const entry = this.#entries[index]
    if (!entry) return undefined
    entry.remaining -= 1
    if (entry.remaining <= 0) this.#entries.splice(index, 1)
    return entry.fault
  }
}
