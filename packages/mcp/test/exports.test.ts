import { expect, it } from 'vitest'
import * as api from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
it('public exports', () => {
  expect(Object.keys(api).sort()).toEqual(['DEFAULT_MCP_BODY_LIMIT', 'InsufficientScopeError', 'mcpAuth', 'mcpRequest', 'requireScopes', 'toMcpAuthInfo'])
})

