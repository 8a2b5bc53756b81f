import { Catch, HttpException, type ExceptionFilter } from '@nestjs/common'
import type { DenyDecision } from '@authlete-guard/core'

/**
 * Thrown by the guard after it has written a denial, to stop Nest's pipeline (a guard can only
 * stop it by throwing). An `HttpException` with the denial's status and JSON body, so that Nest
 * treats it as an expected answer rather than an error to log.
 */
export class DenialSent extends HttpException {
  constructor(decision: DenyDecision) {
    super(parseBody(decision.body), decision.status)
  }
}

function parseBody(body: string): string | Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>
  } catch {
    return body
  }
}

/**
 * Put by `@Protect()` on what it protects: the denial is already on its way, so nothing is written
 * again (Nest's default filter would write its own JSON on Fastify while the reply's `onSend`
 * hooks still run, and a catch-all filter of the application's would try to on Express).
 */
@Catch(DenialSent)
export class DenialSentFilter implements ExceptionFilter {
  catch(): void {}
}
