#!/usr/bin/env node
// The authlete-guard demo: an Authlete emulator (or your real Authlete service), a token endpoint,
// a protected API in the framework of your choice, and a scripted DPoP client with a transcript.
import { parseArgs } from 'node:util'
import { authleteOptionsFromEnv, createGuard } from '@authlete-guard/core'
import { createAuthorizationServer } from '@authlete-guard/core/authorization-server'
import { DEFAULT_CLIENT, startEmulator } from '@authlete-guard/emulator'
import { startAuthorizationServer } from './authorization-server.mjs'
import { runClient } from './client.mjs'
import * as t from './transcript.mjs'

const FRAMEWORKS = ['express', 'fastify', 'koa', 'next', 'nestjs', 'mcp']
const USAGE = `Usage: pnpm demo [--framework express|fastify|koa|next|nestjs|mcp] [--serve]

  --framework  the protected API's framework (default express); mcp: an MCP server (Express and
               @authlete-guard/mcp) and the MCP SDK's own client, which discovers the
               authorization server from the first 401 (emulator only)
  --serve      keep everything running and print commands to try it by hand

With AUTHLETE_BASE_URL, AUTHLETE_SERVICE_APIKEY and AUTHLETE_SERVICE_ACCESSTOKEN (or
AUTHLETE_SERVICE_APISECRET for API v2) set, the demo talks to your Authlete service instead of
the emulator; DEMO_CLIENT_ID and DEMO_CLIENT_SECRET then name a client of that service that may
use the client_credentials grant with the "profile" scope.`

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    serve: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
if (!FRAMEWORKS.includes(values.framework)) {
  console.error(`Unknown framework ${JSON.stringify(values.framework)}.\n\n${USAGE}`)
  process.exit(2)
}

const DEADLINE_MS = 60_000
const closers = []
async function shutdown(code) {
  for (const close of closers.reverse()) await close().catch(() => {})
  process.exit(code)
}

async function main() {
  const real = Boolean(process.env.AUTHLETE_BASE_URL)
  if (real && values.framework === 'mcp') throw new Error('--framework mcp runs on the emulator only: unset AUTHLETE_BASE_URL.')
  let authlete
  let client
  let grant
  let emulator
  if (real) {
    authlete = authleteOptionsFromEnv()
    const clientId = process.env.DEMO_CLIENT_ID
    const clientSecret = process.env.DEMO_CLIENT_SECRET
    if (!clientId || !clientSecret) throw new Error('With a real Authlete service, set DEMO_CLIENT_ID and DEMO_CLIENT_SECRET.')
    client = { clientId, clientSecret }
    grant = { grant_type: 'client_credentials', scope: 'profile' }
  } else {
    emulator = await startEmulator()
    closers.push(() => emulator.close())
    authlete = { baseUrl: emulator.url, serviceId: emulator.serviceId, accessToken: emulator.accessToken }
    client = { clientId: String(DEFAULT_CLIENT.clientId), clientSecret: DEFAULT_CLIENT.clientSecret }
    const redirectUri = 'https://client.example.org/cb'
    const code = await emulator.createAuthorizationCode({ subject: 'alice', scopes: ['profile'], redirectUri })
    grant = { grant_type: 'authorization_code', code, redirect_uri: redirectUri }
  }

  if (values.framework === 'mcp') return runMcp(emulator, authlete) // emulator only: checked at the start

  const as = createAuthorizationServer({ authlete })
  const tokenServer = await startAuthorizationServer(as)
  closers.push(() => tokenServer.close(), () => as.close())
  const guard = createGuard({ authlete })
  closers.push(() => guard.close())
  // Fail fast on a wrong base URL or credentials, with the precise cause, before serving anything.
  await guard.ready()
  const { startApi } = await import(`./apps/${values.framework}.mjs`)
  const api = await startApi({ guard, authlete })
  closers.push(() => api.close())
  const tokenUrl = `${tokenServer.url}/token`

  console.log(t.bold('authlete-guard demo'))
  console.log(`  Authlete:        ${real ? authlete.baseUrl : `${emulator.url} (local emulator; no account, no network)`}; guard.ready() passed`)
  console.log(`  Token endpoint:  ${tokenUrl}  (createAuthorizationServer + Express tokenEndpoint)`)
  console.log(`  Protected API:   ${api.url}  (${values.framework}: /api/me needs "profile", /api/admin needs "admin", /api/nonce needs a DPoP nonce)`)
  if (!real) console.log(`  Grant:           authorization_code for user "alice" (code made by the emulator's helper)`)

  if (values.serve) {
    const { printServeHelp } = await import('./serve.mjs')
    await printServeHelp({ tokenUrl, apiUrl: api.url, client, emulator })
    process.on('SIGINT', () => shutdown(0))
    process.on('SIGTERM', () => shutdown(0))
    return
  }

  const failures = await runClient({ tokenUrl, apiUrl: api.url, client, grant })
  console.log(failures === 0 ? `\n${t.green(t.bold('Every step behaved as expected.'))}` : `\n${t.red(t.bold(`${failures} step(s) did not behave as expected.`))}`)
  await shutdown(failures === 0 ? 0 : 1)
}

/** `--framework mcp`: examples/demo/mcp.mjs, on the emulator. */
async function runMcp(emulator, authlete) {
  const { runMcpDemo } = await import('./mcp.mjs')
  const { failures, keepRunning } = await runMcpDemo({ authlete, emulator, closers, serve: values.serve })
  if (keepRunning) {
    process.on('SIGINT', () => shutdown(0))
    process.on('SIGTERM', () => shutdown(0))
    return
  }
  console.log(failures === 0 ? `\n${t.green(t.bold('Every step behaved as expected.'))}` : `\n${t.red(t.bold(`${failures} step(s) did not behave as expected.`))}`)
  await shutdown(failures === 0 ? 0 : 1)
}

setTimeout(() => {
  console.error(`The demo did not finish within ${DEADLINE_MS / 1000} s.`)
  shutdown(1)
}, DEADLINE_MS).unref()

main().catch((error) => {
  console.error(t.red(`Demo failed: ${error?.message ?? error}`))
  shutdown(1)
})
