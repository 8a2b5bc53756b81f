import type { HeadersLike } from '../types'

/**
 * Every value of a header, in order. A Node record may hold an array (repeated header) or a
 * string; a fetch `Headers` joins repeats with ", " (which the callers then see as one value
 * holding a comma, and refuse where a comma cannot occur).
 */
export function headerValues(headers: HeadersLike, name: string): string[] {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    const value = (headers as Headers).get(name)
    return value === null ? [] : [value]
  }
  const record = headers as Record<string, string | string[] | undefined>
  let value = record[name]
  if (value === undefined) {
    // Node lower-cases header names; a hand-built record may not.
    const key = Object.keys(record).find((k) => k.toLowerCase() === name)
    value = key === undefined ? undefined : record[key]
  }
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/** The single value of a header, or `undefined` when absent. Repeats are joined with ", ". */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
  const values = headerValues(headers, name)
  return values.length === 0 ? undefined : values.join(', ')
}
