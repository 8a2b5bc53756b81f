// One name, one meaning (issue 20, point 4): where two entries of the core export the same name,
// it is the same value. The three names /node had for its own functions (`createGuard`,
// `createAuthleteClient`, `createAuthorizationServer`: the undici-pool ones, unlike the root's and
// /authorization-server's) are deprecated aliases of `createNode*`, the only exception.
import { expect, it } from 'vitest'
import * as root from '../src/index'
import * as node from '../src/node/index'
import * as authorizationServer from '../src/authorization-server/index'
import * as unstable from '../src/unstable'
import * as adapter from '../src/kit/adapter-exports'

const entries: Record<string, Record<string, unknown>> = { '.': root, './node': node, './authorization-server': authorizationServer, './unstable': unstable, './adapter': adapter }
const DEPRECATED_NODE_ALIASES = { createGuard: 'createNodeGuard', createAuthleteClient: 'createNodeAuthleteClient', createAuthorizationServer: 'createNodeAuthorizationServer' } as const

it("/node's old names are the createNode* functions themselves", () => {
  for (const [old, current] of Object.entries(DEPRECATED_NODE_ALIASES)) {
    expect(typeof node[current], current).toBe('function')
    expect(node[old as keyof typeof node], old).toBe(node[current])
  }
})

it('a name exported by two entries is the same value in both (deprecated /node aliases aside)', () => {
  const clashes: string[] = []
  const names = new Set(Object.values(entries).flatMap((entry) => Object.keys(entry)))
  for (const name of names) {
    const holders = Object.entries(entries).filter(([path, entry]) => name in entry && !(path === './node' && name in DEPRECATED_NODE_ALIASES))
    const values = new Set(holders.map(([, entry]) => entry[name]))
    if (values.size > 1) clashes.push(`${name}: ${holders.map(([path]) => path).join(', ')}`)
  }
  expect(clashes).toEqual([])
})
