import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SHARED_VECTORS_DIR, VECTOR_COPIES_DIR } from './index'

describe('committed vector copies', () => {
  const names = readdirSync(VECTOR_COPIES_DIR).filter((n) => n.endsWith('.json'))
  it('exist for both vector files', () => {
    expect(names.sort()).toEqual(['rfc9449.json', 'seed-token-request.json'])
  })
  it.runIf(existsSync(SHARED_VECTORS_DIR)).each(names)('%s matches ../shared/vectors', (name) => {
    expect(JSON.parse(readFileSync(`${VECTOR_COPIES_DIR}${name}`, 'utf8'))).toEqual(JSON.parse(readFileSync(`${SHARED_VECTORS_DIR}${name}`, 'utf8')))
  })
})
