// Which tools a JSON-RPC body calls: the input of mcpAuth's per-tool scope map.
import { describe, expect, it } from 'vitest'
import { calledTools } from '../src/tool-scopes'

describe('calledTools', () => {
  it('reads the name of a tools/call, in a single message or every message of a batch', () => {
    expect(calledTools({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a' } })).toEqual(['a'])
    expect(calledTools([{ method: 'tools/call', params: { name: 'a' } }, { method: 'tools/list' }, { method: 'tools/call', params: { name: 'b' } }])).toEqual(['a', 'b'])
  })

  it('ignores other methods, other cases of the method, and calls without a string name', () => {
    const ignored = [undefined, null, 'tools/call', 42, [], {}, { method: 'tools/list', params: { name: 'a' } }, { method: 'Tools/Call', params: { name: 'a' } }, { method: 'tools/call' }, { method: 'tools/call', params: null }, { method: 'tools/call', params: { name: 7 } }, [null, 'x', { method: 'tools/call', params: 'a' }]]
    for (const body of ignored) expect(calledTools(body), JSON.stringify(body)).toEqual([])
  })

  it('keeps names such as __proto__ as plain strings', () => {
    expect(calledTools(JSON.parse('{"method":"tools/call","params":{"name":"__proto__"}}'))).toEqual(['__proto__'])
  })
})
