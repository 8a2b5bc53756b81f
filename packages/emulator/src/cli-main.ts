import { parseArgs } from 'node:util'
import { DEFAULT_CLIENT } from './defaults'
import { startEmulator, type Emulator } from './start-emulator'

/** Where the CLI writes and which signals stop it (process in production, fakes in tests). */
export interface CliIo {
  stdout: { write(text: string): unknown }
  stderr?: { write(text: string): unknown }
  /** Source of SIGINT/SIGTERM; default none (the caller stops the emulator itself). */
  signals?: { once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown }
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

A local Authlete-compatible API that really verifies DPoP proofs (RFC 9449).

Options:
  --port N              port to listen on (default 0: a free port)
  --host H              interface to bind (default 127.0.0.1)
  --nonce               require DPoP nonces on v3 paths (service setting dpopNonceRequired)
  --nonce-duration S    DPoP nonce lifetime in seconds (default 300)
  --token-duration S    access token lifetime in seconds (default 3600)
  --allow-replayed-proofs
                        accept a DPoP proof whose jti was already used (Authlete's
                        behaviour is unknown; by default a replay is refused)
  -h, --help            show this help
`

const done: Promise<void> = Promise.resolve()

/**
 * The CLI without process globals: parse `argv`, start the emulator, print the base URL,
 * credentials and a ready client as shell exports, and stop on SIGINT/SIGTERM.
 *
 * @example
 * ```ts
 * const result = await main(['--port', '0'], { stdout: process.stdout, signals: process })
 * ```
 */
export async function main(argv: readonly string[], io: CliIo): Promise<CliResult> {
  const stderr = io.stderr ?? io.stdout
  let values: {
    port?: string
    host?: string
    nonce?: boolean
    'nonce-duration'?: string
    'token-duration'?: string
    'allow-replayed-proofs'?: boolean
    help?: boolean
  }
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        nonce: { type: 'boolean' },
        'nonce-duration': { type: 'string' },
        'token-duration': { type: 'string' },
        'allow-replayed-proofs': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    stderr.write(`authlete-emulator: ${(error as Error).message}\n\n${USAGE}`)
    return { exitCode: 2, closed: done, close: () => done }
  }
  if (values.help) {
    io.stdout.write(USAGE)
    return { exitCode: 0, closed: done, close: () => done }
  }
  const numeric = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined
    const number = Number(value)
    if (!Number.isInteger(number) || number < 0) throw new RangeError(`--${name} must be a non-negative integer`)
    return number
  }
  let emulator: Emulator
  try {
    emulator = await startEmulator({
      port: numeric('port', values.port) ?? 0,
      host: values.host,
      dpopNonceRequired: values.nonce ?? false,
      dpopNonceDuration: numeric('nonce-duration', values['nonce-duration']),
      accessTokenDuration: numeric('token-duration', values['token-duration']),
      rejectReplayedProofs: !values['allow-replayed-proofs'],
    })
  } catch (error) {
    stderr.write(`authlete-emulator: ${(error as Error).message}\n`)
    return { exitCode: 1, closed: done, close: () => done }
  }

  const e = emulator
  const modes = [e.settings.dpopNonceRequired && 'DPoP nonces required (v3 paths)', !e.settings.rejectReplayedProofs && 'replayed DPoP proofs accepted'].filter(Boolean)
  io.stdout.write(
    [
      `Authlete emulator listening on ${e.url}${modes.length > 0 ? ` (${modes.join('; ')})` : ''}`,
      '',
      '# Service credentials: paste into your shell',
      `export AUTHLETE_BASE_URL=${e.url}`,
      'export AUTHLETE_API_VERSION=V3',
      `export AUTHLETE_SERVICE_APIKEY=${e.apiKey}`,
      `export AUTHLETE_SERVICE_APISECRET=${e.apiSecret}`,
      `export AUTHLETE_SERVICE_ACCESSTOKEN=${e.accessToken}`,
      `# serviceId: ${e.serviceId} (v3 APIs: ${e.url}/api/${e.serviceId}/...; v2 APIs: ${e.url}/api/... with HTTP Basic apiKey:apiSecret)`,
      '',
      '# A ready client',
      `export CLIENT_ID=${DEFAULT_CLIENT.clientId}`,
      `export CLIENT_SECRET=${DEFAULT_CLIENT.clientSecret}`,
      '',
      '# Mint a Bearer token:',
      `# curl -s ${e.url}/api/${e.serviceId}/auth/token/create -H 'Authorization: Bearer ${e.accessToken}' -H 'Content-Type: application/json' -d '{"subject":"alice","scopes":["read"]}'`,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  )

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
