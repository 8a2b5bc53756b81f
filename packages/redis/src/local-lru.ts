/** A small in-process LRU with a per-entry expiry (a Map in recency order). */
export interface LocalLru<V> {
  get(key: string, now: number): V | undefined
  set(key: string, value: V, expiresAt: number): void
}

export function createLocalLru<V>(maxEntries: number): LocalLru<V> {
  const entries = new Map<string, { value: V; expiresAt: number }>()
  return {
    get(key, now) {
      const hit = entries.get(key)
      if (hit === undefined) return undefined
      entries.delete(key)
      if (hit.expiresAt <= now) return undefined
      entries.set(key, hit)
      return hit.value
    },
    set(key, value, expiresAt) {
      entries.delete(key)
      entries.set(key, { value, expiresAt })
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
  }
}
