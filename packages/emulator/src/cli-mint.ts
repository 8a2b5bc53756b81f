import { readFile } from 'node:fs/promises'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { readClientCertificate } from './certificate'
import { DEFAULT_SERVICE_ACCESS_TOKEN, DEFAULT_SERVICE_ID } from './defaults'
import { checkServiceUrl } from './endpoints'
import type { TokenCreateParams } from './token-create'

/** Usage text printed by `authlete-emulator mint --help`. */
export const MINT_USAGE = `Usage: authlete-emulator mint [options]

Mint an access token at a running emulator (its /auth/token/create, API V3) and print the
access token alone on stdout, so that it composes in a shell:
  TOKEN=$(npx authlete-emulator mint --url http://127.0.0.1:4010 --subject alice --scope read)

Options:
  --url URL             the emulator's base URL (default $AUTHLETE_BASE_URL)
  --subject S           the resource owner (default none: a client credentials token)
  --scope S             a scope; repeat the flag, or separate scopes with spaces
  --resource URL        an RFC 8707 resource (the token's audience); repeatable
  --client-id ID        the client, by id or alias (default the ready client, 5550002002)
  --certificate FILE    bind the token to this PEM client certificate (RFC 8705: its
                        x5t#S256, base64url SHA-256 of the DER, is sent as certificateThumbprint)
  --dpop-jkt JKT        bind the token to the DPoP key of this RFC 7638 thumbprint
  -h, --help            show this help

Service credentials: $AUTHLETE_SERVICE_APIKEY and $AUTHLETE_SERVICE_ACCESSTOKEN (the exports the
emulator prints), else the emulator's defaults. Exit codes: 0 minted, 1 refused or unreachable,
2 bad arguments.
`

const MINT_FLAGS = {
  url: { type: 'string' },
  subject: { type: 'string' },
  scope: { type: 'string', multiple: true },
  resource: { type: 'string', multiple: true },
  'client-id': { type: 'string' },
  certificate: { type: 'string' },
  'dpop-jkt': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>

interface MintValues {
  url?: string
  subject?: string
  scope?: string[]
  resource?: string[]
  'client-id'?: string
  certificate?: string
  'dpop-jkt'?: string
  help?: boolean
}

/** What `mint` reads and writes: the CLI's streams and the environment (for the URL and credentials). */
export interface MintIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  env?: Readonly<Record<string, string | undefined>>
}

/** A failure with the exit code to end with (2: the arguments; 1: the call). */
class MintError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message)
  }
}

/** The `/auth/token/create` URL and service access token the flags and environment give. */
function targetOf(values: MintValues, env: Readonly<Record<string, string | undefined>>): { endpoint: string; accessToken: string } {
  const base = values.url ?? env.AUTHLETE_BASE_URL
  if (!base) throw new MintError('--url is required (or set AUTHLETE_BASE_URL)', 2)
  try {
    checkServiceUrl('--url', base)
  } catch (error) {
    throw new MintError((error as Error).message, 2)
  }
  const serviceId = env.AUTHLETE_SERVICE_APIKEY || DEFAULT_SERVICE_ID
  return { endpoint: `${base.replace(/\/+$/, '')}/api/${serviceId}/auth/token/create`, accessToken: env.AUTHLETE_SERVICE_ACCESSTOKEN || DEFAULT_SERVICE_ACCESS_TOKEN }
}

/** The x5t#S256 of the PEM certificate in `file` (the first one, when it holds a chain). */
async function thumbprintOf(file: string): Promise<string> {
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (error) {
    throw new MintError(`--certificate: cannot read ${file}: ${(error as Error).message}`, 1)
  }
  const read = readClientCertificate(pem)
  if (!read.ok) throw new MintError(`--certificate: ${file} is not a PEM certificate`, 1)
  return read.thumbprint
}

/** The `/auth/token/create` request body the flags describe. */
async function requestOf(values: MintValues): Promise<TokenCreateParams> {
  const clientId = values['client-id']
  return {
    subject: values.subject,
    scopes: values.scope?.flatMap((scope) => scope.split(/\s+/)).filter((scope) => scope !== ''),
    resources: values.resource,
    clientId: clientId !== undefined && /^\d+$/.test(clientId) ? Number(clientId) : clientId,
    certificateThumbprint: values.certificate === undefined ? undefined : await thumbprintOf(values.certificate),
    dpopKeyThumbprint: values['dpop-jkt'],
  }
}

/** POST the request; the minted access token, or a {@link MintError} with Authlete's message. */
async function tokenCreate(target: { endpoint: string; accessToken: string }, request: TokenCreateParams): Promise<string> {
  let response: Response
  try {
    response = await fetch(target.endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(10_000),
    })
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message
    throw new MintError(`cannot reach ${new URL(target.endpoint).origin}: ${cause}`, 1)
  }
  const text = await response.text()
  let reply: { action?: unknown; accessToken?: unknown; resultMessage?: unknown } | undefined
  try {
    reply = JSON.parse(text) as typeof reply
  } catch {
    reply = undefined
  }
  if (response.ok && reply?.action === 'OK' && typeof reply.accessToken === 'string') return reply.accessToken
  const message = typeof reply?.resultMessage === 'string' ? reply.resultMessage : `HTTP ${response.status}, not an Authlete reply`
  throw new MintError(`not minted: ${message}`, 1)
}

/**
 * `authlete-emulator mint`: mint an access token at a running emulator through its
 * `/auth/token/create` (API V3 path and Bearer credential) and write the access token alone,
 * with a newline, to stdout; messages go to stderr. Resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await mint(['--url', emu.url, '--subject', 'alice', '--certificate', 'client.pem'], { stdout: process.stdout, stderr: process.stderr, env: process.env })
 * ```
 */
export async function mint(argv: readonly string[], io: MintIo): Promise<number> {
  let values: MintValues
  try {
    values = parseArgs({ args: [...argv], options: MINT_FLAGS, strict: true, allowPositionals: false }).values
  } catch (error) {
    io.stderr.write(`authlete-emulator mint: ${(error as Error).message}\n\n${MINT_USAGE}`)
    return 2
  }
  if (values.help) {
    io.stdout.write(MINT_USAGE)
    return 0
  }
  try {
    const target = targetOf(values, io.env ?? {})
    io.stdout.write(`${await tokenCreate(target, await requestOf(values))}\n`)
    return 0
  } catch (error) {
    if (!(error instanceof MintError)) throw error
    io.stderr.write(`authlete-emulator mint: ${error.message}\n`)
    return error.exitCode
  }
}
