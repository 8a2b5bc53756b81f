// Self time per function from a V8 .cpuprofile (node --cpu-prof).
import { readFileSync } from 'node:fs'

export function selfTimes(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const node = byId.get(profile.samples[i])
    if (!node) continue
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'}\u0000${url}\u0000${lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + dt)
  }
  const rows = [...self].map(([key, micros]) => {
    const [name, url, line] = key.split('\u0000')
    return { name, url, line: Number(line), micros }
  })
  rows.sort((a, b) => b.micros - a.micros)
  return { total, rows }
}
