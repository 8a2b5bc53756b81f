import { parseArgs, type ParseArgsConfig } from 'node:util'
import { mint } from './cli-mint'
import { DEFAULT_CLIENT } from './defaults'
import { startEmulator, type Emulator, type EmulatorOptions } from './start-emulator'

/** Where the CLI writes and which signals stop it (process in production, fakes in tests). */
export interface CliIo {
  stdout: { write(text: string): unknown }
  stderr?: { write(text: string): unknown }
  /** Source of SIGINT/SIGTERM; default none (the caller stops the emulator itself). */
  signals?: { once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown }
  /** Environment `mint` reads (`AUTHLETE_BASE_URL`, `AUTHLETE_SERVICE_APIKEY`, `AUTHLETE_SERVICE_ACCESSTOKEN`); default none. */
  env?: Readonly<Record<string, string | undefined>>
}

/** Outcome of {@link main}. */
export interface CliResult {
  /** Exit code to use when no emulator was started (help, bad arguments). */
  exitCode: number
  /** The running emulator, when one was started. */
  emulator?: Emulator
  /** Resolves once the emulator has stopped (after a signal or `close()`). */
  closed: Promise<void>
  /** Stop the emulator (idempotent). */
  close(): Promise<void>
}

/** Usage text printed by `--help`. */
export const USAGE = `Usage: authlete-emulator [options]
       authlete-emulator mint [options]

A local Authlete-compatible API that really verifies DPoP proofs (RFC 9449).
\`authlete-emulator mint\` mints an access token at a running emulator and prints it (also bound
to a client certificate or a DPoP key; see \`authlete-emulator mint --help\`).

Options:
  --port N              port to listen on (default 0: a free port)
  --host H              interface to bind (default 127.0.0.1)
  --nonce               require DPoP nonces on v3 paths (service setting dpopNonceRequired)
  --nonce-duration S    DPoP nonce lifetime in seconds (default 300)
  --token-duration S    access token lifetime in seconds (default 3600)
  --allow-replayed-proofs
                        accept a DPoP proof whose jti was already used (Authlete's
                        behaviour is unknown; by default a replay is refused)

Service settings reported by /service/configuration (absolute http(s) URLs):
  --issuer URL          issuer (default the emulator's URL)
  --authorization-endpoint URL
                        authorization_endpoint (default {issuer}/authorize)
  --token-endpoint URL  token_endpoint (default {issuer}/token)
  --par-endpoint URL    pushed_authorization_request_endpoint (default none)
  --userinfo-endpoint URL
                        userinfo_endpoint (default none)
  --introspection-endpoint URL
                        introspection_endpoint (default none)
  --revocation-endpoint URL
                        revocation_endpoint (default none)
  -h, --help            show this help
`

/** The URL flags and the emulator options they set. */
const URL_FLAGS = {
  issuer: 'issuer',
  'authorization-endpoint': 'authorizationEndpoint',
  'token-endpoint': 'tokenEndpoint',
  'par-endpoint': 'pushedAuthReqEndpoint',
  'userinfo-endpoint': 'userInfoEndpoint',
  'introspection-endpoint': 'introspectionEndpoint',
  'revocation-endpoint': 'revocationEndpoint',
} as const satisfies Record<string, keyof EmulatorOptions>

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  nonce: { type: 'boolean' },
  'nonce-duration': { type: 'string' },
  'token-duration': { type: 'string' },
  'allow-replayed-proofs': { type: 'boolean' },
  ...Object.fromEntries(Object.keys(URL_FLAGS).map((flag) => [flag, { type: 'string' }])),
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>

type Values = Partial<Record<string, string | boolean>>

const done: Promise<void> = Promise.resolve()

function numeric(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0) throw new RangeError(`--${name} must be a non-negative integer`)
  return number
}

/** The emulator options the flags give (throws for a bad number; startEmulator checks the URLs). */
function optionsOf(values: Values): EmulatorOptions {
  const options: EmulatorOptions = {
    port: numeric('port', values.port) ?? 0,
    host: values.host as string | undefined,
    dpopNonceRequired: values.nonce === true,
    dpopNonceDuration: numeric('nonce-duration', values['nonce-duration']),
    accessTokenDuration: numeric('token-duration', values['token-duration']),
    rejectReplayedProofs: values['allow-replayed-proofs'] !== true,
  }
  for (const [flag, option] of Object.entries(URL_FLAGS)) {
    if (typeof values[flag] === 'string') options[option] = values[flag]
  }
  return options
}

/** What the CLI prints once the emulator listens: credentials, a client, and curl examples. */
function banner(e: Emulator): string {
  const modes = [e.settings.dpopNonceRequired && 'DPoP nonces required (v3 paths)', !e.settings.rejectReplayedProofs && 'replayed DPoP proofs accepted'].filter(Boolean)
  const v3 = `${e.url}/api/${e.serviceId}`
  return [
    `Authlete emulator listening on ${e.url}${modes.length > 0 ? ` (${modes.join('; ')})` : ''}`,
    '',
    '# Service credentials: paste into your shell',
    `export AUTHLETE_BASE_URL=${e.url}`,
    'export AUTHLETE_API_VERSION=V3',
    `export AUTHLETE_SERVICE_APIKEY=${e.apiKey}`,
    `export AUTHLETE_SERVICE_APISECRET=${e.apiSecret}`,
    `export AUTHLETE_SERVICE_ACCESSTOKEN=${e.accessToken}`,
    `# serviceId: ${e.serviceId} (v3 APIs: ${v3}/...; v2 APIs: ${e.url}/api/... with HTTP Basic apiKey:apiSecret)`,
    `# issuer: ${e.settings.issuer}`,
    '',
    '# A ready client',
    `export CLIENT_ID=${DEFAULT_CLIENT.clientId}`,
    `export CLIENT_SECRET=${DEFAULT_CLIENT.clientSecret}`,
    '',
    '# Mint a Bearer token (add "resources":["https://api.example.com/mcp"] for an RFC 8707 audience):',
    `# curl -s ${v3}/auth/token/create -H 'Authorization: Bearer ${e.accessToken}' -H 'Content-Type: application/json' -d '{"subject":"alice","scopes":["read"]}'`,
    '# Or with this CLI, which prints the access token alone; --certificate binds it to a client certificate (RFC 8705), --dpop-jkt to a DPoP key:',
    `# TOKEN=$(npx authlete-emulator mint --url ${e.url} --subject alice --scope read --certificate client.pem)`,
    '# The discovery document (Authlete\'s /service/configuration):',
    `# curl -s ${v3}/service/configuration -H 'Authorization: Bearer ${e.accessToken}'`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n')
}

/**
 * The CLI without process globals: parse `argv`, start the emulator, print the base URL,
 * credentials and a ready client as shell exports, and stop on SIGINT/SIGTERM. With `mint` first,
 * mint a token at a running emulator instead and print it (`exitCode` says how that went).
 *
 * @example
 * ```ts
 * const result = await main(['--port', '0', '--issuer', 'http://127.0.0.1:3000'], { stdout: process.stdout, signals: process })
 * const minted = await main(['mint', '--url', result.emulator!.url, '--subject', 'alice'], { stdout: process.stdout })
 * ```
 */
export async function main(argv: readonly string[], io: CliIo): Promise<CliResult> {
  const stderr = io.stderr ?? io.stdout
  if (argv[0] === 'mint') {
    const exitCode = await mint(argv.slice(1), { stdout: io.stdout, stderr, env: io.env })
    return { exitCode, closed: done, close: () => done }
  }
  let values: Values
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values as Values
  } catch (error) {
    stderr.write(`authlete-emulator: ${(error as Error).message}\n\n${USAGE}`)
    return { exitCode: 2, closed: done, close: () => done }
  }
  if (values.help) {
    io.stdout.write(USAGE)
    return { exitCode: 0, closed: done, close: () => done }
  }
  let emulator: Emulator
  try {
    emulator = await startEmulator(optionsOf(values))
  } catch (error) {
    stderr.write(`authlete-emulator: ${(error as Error).message}\n`)
    return { exitCode: 1, closed: done, close: () => done }
  }

  const e = emulator
  io.stdout.write(banner(e))

  let closing: Promise<void> | undefined
  let markClosed: () => void = () => {}
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve
  })
  const close = () => {
    closing ??= e.close().then(() => {
      io.stdout.write('Authlete emulator stopped.\n')
      markClosed()
    })
    return closing
  }
  io.signals?.once('SIGINT', () => void close())
  io.signals?.once('SIGTERM', () => void close())
  return { exitCode: 0, emulator: e, closed, close }
}
