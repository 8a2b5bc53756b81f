// How much of the machine the benchmark got: Linux /proc accounting of all CPU time against the
// CPU time of the benchmark's own processes, so a run on a busy machine says so.
import { readFileSync } from 'node:fs'

function machineTicks() {
  const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal, steal }
}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime + stime
  } catch {
    return 0
  }
}

/** A snapshot; `pids` are the benchmark's processes (this one included by the caller). */
export function snapshot(pids) {
  try {
    const m = machineTicks()
    let ours = 0
    const byPid = {}
    for (const pid of pids) ours += byPid[pid] = processTicks(pid)
    return { ...m, ours, byPid }
  } catch {
    return undefined // not Linux
  }
}

/** Between two snapshots: CPUs used by other processes, and CPUs available, on average. */
export function foreignLoad(a, b) {
  if (!a || !b || b.total === a.total) return undefined
  const cpus = (b.total - a.total) // ticks across all CPUs
  const perPid = {}
  for (const pid of Object.keys(b.byPid)) perPid[pid] = ((b.byPid[pid] ?? 0) - (a.byPid[pid] ?? 0)) / cpus
  return { share: Math.max(0, (b.busy - a.busy) - (b.ours - a.ours)) / cpus, steal: (b.steal - a.steal) / cpus, perPid }
}
