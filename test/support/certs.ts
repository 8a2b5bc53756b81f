/**
 * Test infrastructure: X.509 certificates for the mutual-TLS tests, made at test time with the
 * `openssl` CLI (Debian package `openssl`). EC P-256 keys, valid for two days from now:
 *
 * - a CA (`ca`), which signs everything else;
 * - a server certificate for 127.0.0.1 (`server`: subjectAltName IP:127.0.0.1 and DNS:localhost,
 *   EKU serverAuth), e.g. for nginx (test/support/nginx.ts) or a Node `https` server;
 * - N client certificates (`clients`, EKU clientAuth, subjects `CN=client-1`, `CN=client-2`, ...);
 * - optionally a second CA that nothing trusts and a client certificate it signed
 *   (`untrustedCa`, `untrustedClient`).
 *
 * Each certificate comes with its files (PEM, in a temporary folder), its PEM text, its DER in
 * base64 (what RFC 9440 `Client-Cert` carries between colons) and its RFC 8705 thumbprint
 * `x5t#S256` (base64url of the SHA-256 of the DER). Generation takes 0.3-0.4 s and is done once
 * per test file (vitest gives each file its own module state) for each set of options. Call
 * `removeTestCertificates()` in `afterAll`: vitest's workers end without an `exit` event, so
 * nothing else removes the folder.
 *
 * node:crypto can't issue certificates, so there is no fallback for the generation: without the
 * openssl CLI `testCertificates()` fails with a message naming the package. node:crypto only
 * reads the result (DER, thumbprint).
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificate {
  /** The subject as openssl takes it, e.g. `/O=authlete-guard tests/CN=client-1`. */
  readonly subject: string
  readonly certPath: string
  readonly keyPath: string
  readonly certPem: string
  /** The private key, PKCS#8 PEM. */
  readonly keyPem: string
  /** The certificate's DER, base64 (standard alphabet, padded). */
  readonly derBase64: string
  /** RFC 8705 `x5t#S256`: base64url(SHA-256(DER)), unpadded. */
  readonly x5tS256: string
}

export interface TestCertificates {
  /** The temporary folder holding every file below. */
  readonly dir: string
  readonly ca: TestCertificate
  readonly server: TestCertificate
  readonly clients: readonly TestCertificate[]
  /** Only with `untrusted: true`: a CA that `ca` has nothing to do with... */
  readonly untrustedCa?: TestCertificate
  /** ...and a client certificate (EKU clientAuth, `CN=untrusted-client`) it signed. */
  readonly untrustedClient?: TestCertificate
}

export interface TestCertificateOptions {
  /** How many client certificates `ca` signs (default 2). */
  clients?: number
  /** Also make `untrustedCa` and `untrustedClient` (default false). */
  untrusted?: boolean
}

export const MISSING_OPENSSL_MESSAGE =
  'the openssl CLI was not found: the mutual-TLS tests make their certificates with it. Install the Debian package `openssl` (sudo apt-get install openssl).'

const DAYS = '2'
const O = '/O=authlete-guard tests'
const EXTENSIONS = {
  ca: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'],
  server: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  client: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'],
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve()
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      reject(new Error(missing ? MISSING_OPENSSL_MESSAGE : `openssl ${args.join(' ')} failed: ${stderr || error.message}`))
    })
  })
}

function describeCertificate(dir: string, name: string, subject: string): TestCertificate {
  const certPath = join(dir, `${name}.pem`)
  const keyPath = join(dir, `${name}.key`)
  const certPem = readFileSync(certPath, 'utf8')
  const der = new X509Certificate(certPem).raw
  return {
    subject,
    certPath,
    keyPath,
    certPem,
    keyPem: readFileSync(keyPath, 'utf8'),
    derBase64: der.toString('base64'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  }
}

const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

async function makeCa(dir: string, name: string, subject: string): Promise<TestCertificate> {
  const extensions = EXTENSIONS.ca.flatMap((extension) => ['-addext', extension])
  await openssl(['req', '-x509', ...NEW_P256_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', subject, '-days', DAYS, ...extensions], dir)
  return describeCertificate(dir, name, subject)
}

async function makeLeaf(dir: string, ca: string, name: string, subject: string, kind: 'server' | 'client'): Promise<TestCertificate> {
  writeFileSync(join(dir, `${name}.ext`), EXTENSIONS[kind].join('\n') + '\n')
  await openssl(['req', '-new', ...NEW_P256_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir)
  const serial = `0x${randomBytes(16).toString('hex')}`
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', DAYS, '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir)
  return describeCertificate(dir, name, subject)
}

async function generate(clientCount: number, untrusted: boolean): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'authlete-guard-certs-'))
  dirs.add(dir)
  try {
    return await generateIn(dir, clientCount, untrusted)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    dirs.delete(dir)
    throw error
  }
}

async function generateIn(dir: string, clientCount: number, untrusted: boolean): Promise<TestCertificates> {
  const [ca, untrustedCa] = await Promise.all([
    makeCa(dir, 'ca', `${O}/CN=authlete-guard test CA`),
    untrusted ? makeCa(dir, 'untrusted-ca', '/O=someone else/CN=untrusted test CA') : undefined,
  ])
  const names = Array.from({ length: clientCount }, (_, i) => `client-${i + 1}`)
  const [server, untrustedClient, ...clients] = await Promise.all([
    makeLeaf(dir, 'ca', 'server', `${O}/CN=127.0.0.1`, 'server'),
    untrusted ? makeLeaf(dir, 'untrusted-ca', 'untrusted-client', '/O=someone else/CN=untrusted-client', 'client') : undefined,
    ...names.map((name) => makeLeaf(dir, 'ca', name, `${O}/CN=${name}`, 'client')),
  ])
  return { dir, ca, server: server!, clients: clients as TestCertificate[], ...(untrusted ? { untrustedCa, untrustedClient } : {}) }
}

const cache = new Map<string, Promise<TestCertificates>>()
const dirs = new Set<string>()

/**
 * The test certificates for these options, made on first use and cached for the rest of the test
 * process (a failed generation is not cached).
 *
 * @example
 * const certs = await testCertificates({ clients: 2, untrusted: true })
 * afterAll(() => removeTestCertificates())
 * const agent = new Agent({ connect: { ca: certs.ca.certPem, cert: certs.clients[0]!.certPem, key: certs.clients[0]!.keyPem } })
 */
export function testCertificates(options: TestCertificateOptions = {}): Promise<TestCertificates> {
  const clientCount = options.clients ?? 2
  const untrusted = options.untrusted ?? false
  if (!Number.isInteger(clientCount) || clientCount < 0 || clientCount > 50) throw new RangeError(`clients must be an integer from 0 to 50, got ${clientCount}`)
  const key = `${clientCount}:${untrusted}`
  let pending = cache.get(key)
  if (!pending) {
    pending = generate(clientCount, untrusted)
    cache.set(key, pending)
    pending.catch(() => cache.delete(key))
  }
  return pending
}

/**
 * Remove every certificate folder this test process made and forget the cache (the next
 * `testCertificates()` makes new ones). A running nginx keeps what it loaded at start-up.
 *
 * @example
 * afterAll(() => removeTestCertificates())
 */
export async function removeTestCertificates(): Promise<void> {
  await Promise.allSettled(cache.values())
  cache.clear()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs.clear()
}
