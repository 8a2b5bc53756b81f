/**
 * Normalise an `htu` value for comparison (RFC 9449 §4.3 step 9, RFC 3986 §6.2.2/§6.2.3):
 * lower-case scheme and host, drop the scheme's default port, remove dot segments, and ignore
 * query and fragment. A trailing slash is kept (`/a` and `/a/` differ). Returns undefined when
 * the value is not an absolute URL.
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://API.Example.com:443/me?x=1#f') // 'https://api.example.com/me'
 * ```
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  url.search = ''
  url.hash = ''
  return url.href
}
