// A process of its own for the NODE_DEBUG tests (NODE_DEBUG is read when a process starts): a
// guard from the bundle named by DEBUG_CHILD.bundle (the root entry or /node, bundled from the
// sources by the test), against the emulator, checks three requests in order:
//   1. a DPoP proof signed for another URL than the guard's publicUrl gives (htu): denied locally,
//   2. the same token with a right proof: allowed,
//   3. a Bearer token Authlete does not know: denied by Authlete.
// It prints the three statuses as JSON on stdout and writes nothing to stderr by itself.
// Config: env DEBUG_CHILD = { bundle, traced, fetchRequest, emu: { url, serviceId, accessToken }, token, wrongProof, rightProof, unknownToken }.
'use strict'
const config = JSON.parse(process.env.DEBUG_CHILD)
const core = require(config.bundle)

async function main() {
  const guard = core.createGuard({
    authlete: { baseUrl: config.emu.url, serviceId: config.emu.serviceId, accessToken: config.emu.accessToken },
    publicUrl: 'https://api.example.com',
    // onDecision puts the guard on its traced path; without it, the fast path.
    ...(config.traced ? { onDecision: () => {} } : {}),
  })
  // As Hono and Next build it (fromFetchRequest) on the root entry; a plain RequestLike on /node.
  const request = (authorization, dpop) => {
    const headers = { host: 'api.example.com', authorization, ...(dpop ? { dpop } : {}) }
    const url = '/api/me?query-secret=1'
    return config.fetchRequest ? core.fromFetchRequest(new Request(`https://api.example.com${url}`, { headers })) : { method: 'GET', url, headers }
  }
  const statuses = []
  for (const [authorization, dpop] of [
    [`DPoP ${config.token}`, config.wrongProof],
    [`DPoP ${config.token}`, config.rightProof],
    [`Bearer ${config.unknownToken}`, undefined],
  ]) {
    const decision = await guard.check(request(authorization, dpop))
    statuses.push(decision.allowed ? 200 : decision.status)
  }
  await guard.close()
  process.stdout.write(JSON.stringify(statuses))
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ failed: String(error && error.stack) }))
  process.exitCode = 1
})
