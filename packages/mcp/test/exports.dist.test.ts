import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { builtDist, modulesRequested } from '../../../test/support/built-imports'

// Needs `pnpm build` (a *.dist.test.ts: the slow lane).
describe('the built package imports nothing of the MCP SDK at run time (its types only)', () => {
  let dist: string
  beforeAll(async () => {
    dist = await builtDist(fileURLToPath(new URL('..', import.meta.url)))
  }, 120_000)

  it('the scan finds an SDK import where there is one', async () => {
    const modules = await modulesRequested({ contents: "export { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'", format: 'esm' })
    expect(modules).toEqual(['@modelcontextprotocol/sdk/server/mcp.js'])
  })

  it.each([
    ['index.js', 'esm'],
    ['index.cjs', 'cjs'],
  ] as const)('dist/%s requests the core and Node built-ins, no @modelcontextprotocol module', async (file, format) => {
    const modules = await modulesRequested({ file: join(dist, file), format })
    expect(modules).toContain('@authlete-guard/core')
    expect(modules.filter((name) => name.startsWith('@modelcontextprotocol/'))).toEqual([])
    expect(modules.filter((name) => !name.startsWith('@authlete-guard/core') && !name.startsWith('node:'))).toEqual([])
  })
})
