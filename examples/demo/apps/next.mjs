import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const appDir = fileURLToPath(new URL('../next-app/', import.meta.url))
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

function run(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c) => (output += c))
    child.stderr.on('data', (c) => (output += c))
    child.on('exit', (code) => resolve({ code, output }))
  })
}

/**
 * The protected API as a real Next.js App Router app (`next build`, then `next start` on
 * 127.0.0.1). Its routes wrap handlers with `withAuth`; the guard inside the app reads the
 * AUTHLETE_* variables, so this passes the Authlete connection through the environment.
 */
export async function startApi({ authlete }) {
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    AUTHLETE_BASE_URL: authlete.baseUrl,
    AUTHLETE_API_VERSION: authlete.apiVersion ?? (authlete.accessToken ? 'V3' : 'V2'),
    AUTHLETE_SERVICE_APIKEY: String(authlete.serviceId ?? authlete.apiKey),
    ...(authlete.accessToken ? { AUTHLETE_SERVICE_ACCESSTOKEN: authlete.accessToken } : { AUTHLETE_SERVICE_APISECRET: authlete.apiSecret }),
  }
  console.log('  (building the Next.js app: next build, ~15 s the first time)')
  const build = await run(['build'], env)
  if (build.code !== 0) throw new Error(`next build failed:\n${build.output}`)
  const port = await freePort()
  const child = spawn(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: appDir, env, stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`)
    const ready = await fetch(`${url}/api/me`).then(() => true, () => false)
    if (ready) break
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5000).unref()
      }),
  }
}
