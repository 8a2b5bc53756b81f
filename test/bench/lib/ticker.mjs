// The load generator's clock for its fixed-rate rounds, in a worker thread: it sleeps until the
// next request is due (Atomics.wait: sub-millisecond, no busy loop competing with the server for
// a CPU) and then posts the number of requests due so far, which wakes the load generator's event
// loop at once. The load generator sends every request already due on each wake-up (and whenever
// a connection frees up), so no request depends on the 1 ms granularity of timers.
// Started with workerData { ticker: true, flag } (flag: Int32Array on a SharedArrayBuffer: set
// [0] to 1 and notify to stop it), then sent { start: ms on clock() when request 0 is due,
// interval: ms between requests, n: requests }.
import { parentPort, workerData } from 'node:worker_threads'

export const clock = () => Number(process.hrtime.bigint()) / 1e6 // the same monotonic clock in every thread

if (parentPort && workerData?.ticker) parentPort.once('message', ({ start, interval, n }) => {
  const { flag } = workerData
  const dueBy = (now) => Math.max(0, Math.min(n, Math.floor((now - start) / interval) + 1))
  let posted = 0
  while (Atomics.load(flag, 0) === 0 && posted < n) {
    const due = dueBy(clock())
    if (due > posted) parentPort.postMessage((posted = due))
    if (posted >= n) break
    const wait = start + posted * interval - clock()
    if (wait > 0) Atomics.wait(flag, 0, 0, wait)
  }
})
