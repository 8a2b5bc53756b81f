// The Authlete emulator in its own process: tokens on request, added latency on
// /auth/introspection, and a running count of introspection calls (its request log is
// drained continuously so a long load does not grow it without bound).
import { startEmulator } from '@authlete-guard/emulator'
import { serve } from '../lib/ipc.mjs'

// The load sends a fresh proof each time; the emulator's own replay memory would only be one more
// bounded store to fill, so it is off (the guard variants do their own replay check).
const emu = await startEmulator({ port: 0, rejectReplayedProofs: false })
emu.configure({ rejectReplayedProofs: false })

let introspections = 0
const drain = () => {
  for (const r of emu.requests) if (r.apiPath === '/auth/introspection') introspections++
  emu.requests.length = 0
}
setInterval(drain, 250).unref()

serve({
  async tokens({ thumbprints, scopes }) {
    const tokens = []
    for (const thumbprint of thumbprints) {
      const { accessToken } = await emu.createToken({ subject: `user-${tokens.length}`, scopes, dpopKeyThumbprint: thumbprint })
      tokens.push(accessToken)
    }
    return tokens
  },
  latency({ ms }) {
    emu.faults.clear()
    if (ms > 0) emu.faults.inject({ type: 'latency', ms }, { path: '/auth/introspection' })
    return ms
  },
  introspections() {
    drain()
    return introspections
  },
  async exit() {
    setImmediate(async () => {
      await emu.close()
      process.exit(0)
    })
  },
})

process.send({ event: 'ready', url: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken })
