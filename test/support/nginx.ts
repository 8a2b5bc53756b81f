/**
 * Test infrastructure: a real nginx (Debian package `nginx`) terminating mutual TLS in front of a
 * test's HTTP server, the way certificate-bound tokens (RFC 8705) reach an app in production.
 *
 * `startNginx({ upstream, certs })` runs nginx as a process of its own, unprivileged or as root
 * (no `user` directive: as root its workers run as nginx's default user), with its own prefix,
 * configuration, pid file and temp folders in a temporary folder, its log on stderr, on a free
 * 127.0.0.1 port. It listens with TLS (`certs.server`), asks for a client certificate
 * (`ssl_verify_client optional`, trusting `certs.ca`, `ssl_verify_depth 2`) and proxies every
 * request to `upstream` with:
 *
 * - `X-SSL-Client-Cert: $ssl_client_escaped_cert` (the URL-encoded PEM) and RFC 9440
 *   `Client-Cert: :<base64 DER>:`, both only when `$ssl_client_verify` is `SUCCESS`; otherwise
 *   nginx sends neither (an empty `proxy_set_header` value drops the header). Because both are set
 *   with `proxy_set_header`, a client's own `X-SSL-Client-Cert` / `Client-Cert` never passes.
 * - `X-SSL-Client-Verify: $ssl_client_verify` (`SUCCESS`, `NONE`, ...), `Host` (as the client
 *   sent it), `X-Forwarded-For` and `X-Forwarded-Proto: https`.
 *
 * nginx has no variable with the base64 DER, so `Client-Cert` comes from a `map` on
 * `$ssl_client_raw_cert` (the PEM): a regex with one named capture per PEM body line (64
 * characters each; up to MAX_PEM_LINES lines, i.e. certificates up to 3 KiB of DER) joined
 * between colons. This needs nothing beyond Debian's stock nginx (no njs, no perl module).
 *
 * A client certificate that does not verify (e.g. from another CA) is answered by nginx itself
 * with 400 ("The SSL certificate error") and never reaches the upstream.
 *
 * With `proxyBind` (a 127.0.0.0/8 address, e.g. `127.0.0.2`), nginx opens its upstream connections
 * from that source address (`proxy_bind`): the app then tells nginx (peer 127.0.0.2) from a client
 * connecting to it directly (peer 127.0.0.1), though both run on this machine, and can trust only
 * nginx (`trustProxy: (address) => address === '127.0.0.2'`). Linux routes all of 127.0.0.0/8 to
 * the loopback interface, so any of its addresses can be bound without configuration.
 *
 * Where nginx is missing, `startNginx()` fails with a message naming the package; `.ci/run`
 * installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import type { TestCertificates } from './certs'
import { unreachableUrl } from './unreachable'

export const MISSING_NGINX_MESSAGE =
  'nginx was not found on PATH nor in /usr/sbin: the mutual-TLS end-to-end tests run a real one. Install the Debian package `nginx` (sudo apt-get install nginx).'

/** The longest PEM body (in 64-character lines) the `Client-Cert` map turns into base64 DER. */
export const MAX_PEM_LINES = 64

const STARTUP_TIMEOUT_MS = 10_000
const LOOPBACK_V4 = /^127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const STOP_TIMEOUT_MS = 5_000

export interface NginxOptions {
  /** Where nginx proxies to: `http://127.0.0.1:<port>`. */
  upstream: string
  /** From `testCertificates()`: nginx serves `server` and trusts `ca` for client certificates. */
  certs: Pick<TestCertificates, 'ca' | 'server'>
  /** The nginx executable (default: `nginx` on PATH, else /usr/sbin/nginx). */
  binary?: string
  /** The source address of nginx's connections to `upstream` (`proxy_bind`): a 127.0.0.0/8 address. Default: the system's choice (127.0.0.1). */
  proxyBind?: string
}

export interface Nginx {
  /** `https://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /** Stop nginx (SIGTERM, SIGKILL after 5 s) and remove its folder. */
  close(): Promise<void>
}

/** The nginx executable on `path` (a PATH-style list) or in /usr/sbin, or `undefined`. */
export function locateNginx(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter), '/usr/sbin']) {
    if (!dir) continue
    try {
      accessSync(join(dir, 'nginx'), constants.X_OK)
      return join(dir, 'nginx')
    } catch {
      // not here
    }
  }
  return undefined
}

/** The `map` turning `SUCCESS:<PEM>` into `:<base64 DER>:`; anything else (no or failed certificate) into "". */
function clientCertMap(): string {
  const line = '[A-Za-z0-9+/=]+'
  const name = (i: number) => `cc${String(i).padStart(2, '0')}`
  let regex = `^SUCCESS:-----BEGIN CERTIFICATE-----\\n(?<${name(1)}>${line})\\n`
  for (let i = 2; i <= MAX_PEM_LINES; i++) regex += `(?:(?<${name(i)}>${line})\\n)?`
  regex += '-----END CERTIFICATE-----\\n?$'
  let value = ':'
  for (let i = 1; i <= MAX_PEM_LINES; i++) value += `$${name(i)}`
  value += ':'
  return `  map "$ssl_client_verify:$ssl_client_raw_cert" $authlete_guard_client_cert_rfc9440 {\n    default "";\n    "~${regex}" "${value}";\n  }`
}

function nginxConfig(dir: string, port: number, options: NginxOptions): string {
  const upstream = new URL(options.upstream)
  if (upstream.protocol !== 'http:' || upstream.hostname !== '127.0.0.1' || !upstream.port) {
    throw new Error(`startNginx: upstream must be http://127.0.0.1:<port>, got ${options.upstream}`)
  }
  if (options.proxyBind !== undefined && !LOOPBACK_V4.test(options.proxyBind)) {
    throw new Error(`startNginx: proxyBind must be a 127.0.0.0/8 address, got ${options.proxyBind}`)
  }
  const bind = options.proxyBind === undefined ? '' : `\n      proxy_bind ${options.proxyBind};`
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
lock_file ${join(dir, 'nginx.lock')};
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, `${kind}_temp`)};`).join('\n')}
  map $ssl_client_verify $authlete_guard_client_cert_escaped {
    default "";
    SUCCESS $ssl_client_escaped_cert;
  }
${clientCertMap()}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${options.certs.server.certPath};
    ssl_certificate_key ${options.certs.server.keyPath};
    ssl_client_certificate ${options.certs.ca.certPath};
    ssl_verify_client optional;
    ssl_verify_depth 2;
    location / {
      proxy_pass http://127.0.0.1:${upstream.port};${bind}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
      proxy_set_header X-SSL-Client-Cert $authlete_guard_client_cert_escaped;
      proxy_set_header Client-Cert $authlete_guard_client_cert_rfc9440;
    }
  }
}
`
}

/** One TLS handshake (trusting `ca`, no client certificate): true once nginx completes it. */
function acceptsTls(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('secureConnect', () => done(true))
  })
}

interface Launched {
  child: ChildProcess
  output: () => string
}

/** Spawn nginx and wait (bounded) until it completes a TLS handshake on `port`. */
async function launch(binary: string, dir: string, port: number, ca: string): Promise<Launched> {
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject))
  spawnError.catch(() => {})
  const launched = { child, output: () => output }
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw Object.assign(new Error(`nginx exited (${child.exitCode ?? child.signalCode}) on 127.0.0.1:${port}:\n${output}`), { launched })
    }
    if (await Promise.race([acceptsTls(port, ca), spawnError])) return launched
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw Object.assign(new Error(`nginx did not accept TLS on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms:\n${output}`), { launched })
}

/** SIGTERM (nginx's fast shutdown: the master stops its workers), SIGKILL if it hangs. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

/**
 * Start nginx terminating mutual TLS in front of `upstream`, on a free 127.0.0.1 port; resolves
 * once it completes a TLS handshake (at most 10 s; the error carries nginx's stderr).
 *
 * @example
 * const certs = await testCertificates()
 * const nginx = await startNginx({ upstream: `http://127.0.0.1:${appPort}`, certs })
 * afterAll(() => nginx.close())
 * // then: undici `new Agent({ connect: { ca, cert, key } })` against nginx.url
 */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const binary = options.binary ?? locateNginx()
  if (!binary) throw new Error(MISSING_NGINX_MESSAGE)
  const dir = mkdtempSync(join(tmpdir(), 'authlete-guard-nginx-'))
  // As root, nginx's workers run as its default user and must reach their temp folders in here.
  chmodSync(dir, 0o755)
  for (let attempt = 1; ; attempt++) {
    const port = Number(new URL(await unreachableUrl()).port)
    try {
      writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, options))
      const { child } = await launch(binary, dir, port, options.certs.ca.certPem)
      return running(child, dir, port)
    } catch (error) {
      const launched = (error as { launched?: Launched }).launched
      if (launched) await stop(launched.child)
      // A port taken between the probe and nginx's bind: try another one.
      if (launched && attempt < 3 && /Address already in use/i.test(launched.output())) continue
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
  }
}

function running(child: ChildProcess, dir: string, port: number): Nginx {
  // If the process emits 'exit' without close() (vitest's workers don't: call close()): SIGTERM,
  // so the master takes its workers with it.
  const terminate = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  process.once('exit', terminate)
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    async close() {
      await stop(child)
      process.removeListener('exit', terminate)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
