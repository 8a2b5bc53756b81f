import { describe, expectTypeOf, it } from 'vitest'
import type * as root from '../src/index'
import type * as list from '../src/kit/adapter-exports'
import type { NodeGuardOptions } from '../src/node/index'

describe('the one list every adapter re-exports (types)', () => {
  it("carries the core's type names, the root entry's own", () => {
    expectTypeOf<list.AccessTokenInfo>().toEqualTypeOf<root.AccessTokenInfo>()
    expectTypeOf<list.AuthleteGuardErrorCode>().toEqualTypeOf<root.AuthleteGuardErrorCode>()
    expectTypeOf<list.CacheOptions>().toEqualTypeOf<root.CacheOptions>()
    expectTypeOf<list.Decision>().toEqualTypeOf<root.Decision>()
    expectTypeOf<list.DenyDecision>().toEqualTypeOf<root.DenyDecision>()
    expectTypeOf<list.Guard>().toEqualTypeOf<root.Guard>()
    expectTypeOf<list.GuardErrorEvent>().toEqualTypeOf<root.GuardErrorEvent>()
    expectTypeOf<list.ReplayStore>().toEqualTypeOf<root.ReplayStore>()
    expectTypeOf<list.RouteOptions>().toEqualTypeOf<root.RouteOptions>()
    expectTypeOf<list.TrustProxy>().toEqualTypeOf<root.TrustProxy>()
  })

  it('leaves the runtime-bound options to each adapter: Node adapters give NodeGuardOptions as GuardOptions', () => {
    // @ts-expect-error GuardOptions is not in the list: root's on Hono and Next, Node's on the others
    expectTypeOf<list.GuardOptions>().toEqualTypeOf<NodeGuardOptions>()
  })
})
