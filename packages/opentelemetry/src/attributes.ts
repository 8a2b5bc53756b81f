import type { Attributes } from '@opentelemetry/api'
import type { AuthleteCallEvent, CheckEvent } from '@authlete-guard/core'

// Attributes are copied field by field from the events, never spread: whatever a later version of
// the core adds to an event stays out of the telemetry until it is named here. The events carry no
// token, proof, credential or query; this allowlist keeps it that way.

/** The span attributes known when a check starts (OTel HTTP semantic conventions where they fit). */
export function checkStartAttributes(event: CheckEvent): Attributes {
  const attributes: Attributes = { 'http.request.method': event.method, 'url.path': event.path }
  const scopes = event.route?.scopes
  if (Array.isArray(scopes) && scopes.length > 0) attributes['authlete_guard.route.scopes'] = scopes.filter((s) => typeof s === 'string')
  return attributes
}

/** The decision, on the check span once it ends: outcome, source and the operator's reason. */
export function checkEndAttributes(event: CheckEvent): Attributes {
  const attributes: Attributes = {
    'authlete_guard.allowed': event.allowed,
    'authlete_guard.status': event.status,
    'authlete_guard.source': event.source,
  }
  if (event.scheme) attributes['authlete_guard.scheme'] = event.scheme
  if (event.error) attributes['authlete_guard.error'] = event.error
  if (event.errorCode) {
    attributes['authlete_guard.error_code'] = event.errorCode
    attributes['error.type'] = event.errorCode
  }
  const reason = event.reason
  if (reason && typeof reason.check === 'string') {
    // The figures an operator acts on: htu URLs (no query), iat and the window, thumbprints.
    for (const [key, value] of Object.entries(reason)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[`authlete_guard.reason.${key}`] = value
    }
  }
  return attributes
}

/** The span attributes of an Authlete call when it starts: its method and API path (no origin, no credential). */
export function authleteStartAttributes(event: AuthleteCallEvent): Attributes {
  return { 'http.request.method': event.method, 'url.path': event.apiPath }
}

/** Authlete's answer, on the call's span once it ends. */
export function authleteEndAttributes(event: AuthleteCallEvent): Attributes {
  const attributes: Attributes = {}
  if (typeof event.httpStatus === 'number') attributes['http.response.status_code'] = event.httpStatus
  if (event.resultCode) attributes['authlete_guard.result_code'] = event.resultCode
  if (event.action) attributes['authlete_guard.action'] = event.action
  if (event.errorCode) attributes['error.type'] = event.errorCode
  return attributes
}

/** `authlete_guard.decisions`: a bounded set of labels (no path, no reason figures). */
export function decisionMetricAttributes(event: CheckEvent): Attributes {
  const attributes: Attributes = { outcome: event.allowed ? 'allowed' : 'denied', status: event.status, source: event.source }
  if (event.error) attributes.error = event.error
  if (event.errorCode) attributes.error_code = event.errorCode
  return attributes
}

/** `authlete_guard.authlete.duration`: the API path and whether the call succeeded. */
export function authleteMetricAttributes(event: AuthleteCallEvent, failed: boolean): Attributes {
  const attributes: Attributes = { api_path: event.apiPath, outcome: failed ? 'failure' : 'success' }
  if (failed && event.errorCode) attributes.error_code = event.errorCode
  return attributes
}
