/**
 * `pnpm demo --framework mcp` as a user runs it: the MCP SDK's client against the demo's MCP server
 * discovers the authorization server from the first 401, calls a tool, and is refused a tool that
 * needs more scopes; every step as expected, exit 0. Runs the built packages (`pnpm test` builds first).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const demo = fileURLToPath(new URL('../../examples/demo/demo.mjs', import.meta.url))

function runDemo(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [demo, ...args], { env: { ...process.env, NO_COLOR: '1', AUTHLETE_BASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('pnpm demo --framework mcp', () => {
  it('the SDK client discovers, gets a token for the resource, calls a tool, is refused one: every step as expected, exit 0', async () => {
    const { code, output } = await runDemo(['--framework', 'mcp'], {})
    expect(output).toContain('Every step behaved as expected.')
    expect(code).toBe(0)
    const lines = output.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('→'))
    expect(lines.slice(0, 5)).toEqual([
      '→ POST /mcp (initialize) ← 401',
      '→ GET /.well-known/oauth-protected-resource/mcp ← 200',
      '→ GET /.well-known/oauth-authorization-server ← 200',
      expect.stringMatching(/^→ POST \/token \(grant_type=client_credentials scope=mcp resource=http:\/\/127\.0\.0\.1:\d+\/mcp\) ← 200$/),
      '→ POST /mcp (initialize) ← 200',
    ])
    expect(output).toMatch(/WWW-Authenticate: Bearer scope="mcp", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/)
    expect(output).toMatch(/WWW-Authenticate: Bearer error="insufficient_scope".*scope="mcp files:write"/)
    expect(output).not.toMatch(/client_secret|Bearer [A-Za-z0-9_-]{20,}/) // no secret, no token printed
  }, 90_000)

  it('with AUTHLETE_* set it says it runs on the emulator only and exits 1', async () => {
    const { code, output } = await runDemo(['--framework', 'mcp'], { AUTHLETE_BASE_URL: 'http://127.0.0.1:1', AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_ACCESSTOKEN: 'x' })
    expect(output).toContain('--framework mcp runs on the emulator only')
    expect(code).toBe(1)
  }, 90_000)
})
