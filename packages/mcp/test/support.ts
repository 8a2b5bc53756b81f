// The mcp package's tests: one emulator per file, a guard whose `resource` is the MCP endpoint of
// a real HTTP server, the SDK's own McpServer with tools that report what reached them, and
// JSON-RPC requests sent with fetch (so each test controls the body, batches included).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { createNodeGuard } from '@authlete-guard/core/node'
import type { Guard, GuardOptions } from '@authlete-guard/core'
import { useAdapterTestbed } from '../../../test/support/adapter-testbed'
import { requireScopes } from '../src/index'

/** The adapters' testbed (emulator, key, servers, guards closed after the file), with guards whose resource is an MCP endpoint. */
export function useMcpBed() {
  const bed = useAdapterTestbed()
  return {
    ...bed,
    /** A Node guard on the emulator whose resource is `resource` (none when undefined). */
    newGuard(resource: string | undefined, more: Partial<GuardOptions> = {}): Guard {
      const identity = resource === undefined ? {} : { resource, resourceMetadata: { authorization_servers: ['http://127.0.0.1:1/as'] } }
      return bed.newGuard({ ...identity, ...more }, createNodeGuard)
    },
  }
}

/** Tool runs, by name: a denied request must not add any. */
export const runs: Record<string, number> = {}

/**
 * The SDK's McpServer with three tools: `whoami` answers `extra.authInfo` as JSON, `delete-file`
 * and `read-file` answer "done", and `write-note` demands `notes:write` with `requireScopes`.
 */
export function newMcpServer(): McpServer {
  const server = new McpServer({ name: 'test', version: '1.0.0' })
  const count = (name: string) => void (runs[name] = (runs[name] ?? 0) + 1)
  server.registerTool('whoami', { description: 'who is calling' }, async (extra) => {
    count('whoami')
    return { content: [{ type: 'text', text: JSON.stringify({ ...extra.authInfo, resource: extra.authInfo?.resource?.href }) }] }
  })
  for (const name of ['delete-file', 'read-file']) {
    server.registerTool(name, { description: name }, async () => {
      count(name)
      return { content: [{ type: 'text', text: 'done' }] }
    })
  }
  server.registerTool('write-note', { description: 'needs notes:write' }, async (extra) => {
    requireScopes(extra.authInfo, ['notes:write'])
    count('write-note')
    return { content: [{ type: 'text', text: 'written' }] }
  })
  return server
}

let id = 0
/** A JSON-RPC `tools/call` message. */
export const toolCall = (name: string) => ({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: {} } })

/** POST a JSON-RPC body to an MCP endpoint as the SDK's client does (JSON answers: `enableJsonResponse`). */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** The text of the first content item of a `tools/call` result. */
export async function toolText(res: Response): Promise<{ text: string; isError: boolean | undefined }> {
  const answer = (await res.json()) as { result: { content: Array<{ text: string }>; isError?: boolean } }
  return { text: answer.result.content[0]!.text, isError: answer.result.isError }
}
