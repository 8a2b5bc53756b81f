/** A parsed `application/x-www-form-urlencoded` string (Authlete's `parameters`). */
export interface FormParameters {
  /** First value of a parameter; an empty value counts as absent (RFC 6749 §3.1). */
  get(name: string): string | undefined
  /** All values of a parameter that may repeat (e.g. RFC 8707 `resource`). */
  getAll(name: string): string[]
  /** Names given more than once (RFC 6749 §3.1 forbids it), except the repeatable `resource`. */
  duplicates: string[]
  /** All parameters, first value each. */
  entries: Record<string, string>
}

const REPEATABLE = new Set(['resource'])

/**
 * Parse the form body a client sent, as passed to Authlete in `parameters`.
 *
 * @example
 * ```ts
 * parseForm('grant_type=client_credentials&scope=read').get('scope') // 'read'
 * ```
 */
export function parseForm(parameters: string): FormParameters {
  const search = new URLSearchParams(parameters)
  const entries: Record<string, string> = {}
  const duplicates = new Set<string>()
  for (const [name, value] of search) {
    if (Object.hasOwn(entries, name)) {
      if (!REPEATABLE.has(name)) duplicates.add(name)
    }
    else entries[name] = value
  }
  return {
    get: (name) => (Object.hasOwn(entries, name) && entries[name] !== '' ? entries[name] : undefined),
    getAll: (name) => search.getAll(name).filter((value) => value !== ''),
    duplicates: [...duplicates],
    entries,
  }
}

/** Split an OAuth `scope` string into scope tokens. */
export const splitScope = (scope: string | undefined): string[] => (scope ? scope.split(' ').filter((s) => s !== '') : [])
