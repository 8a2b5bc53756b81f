// The test support itself: a machine without redis-server gets a message naming the package.
import { describe, expect, it } from 'vitest'
import { locateRedisServer, MISSING_REDIS_MESSAGE, startRedisServer } from '../../../test/support/redis'

describe('test/support/redis', () => {
  it('without redis-server on PATH, the Redis tests fail naming the Debian package and the skip variable', async () => {
    expect(locateRedisServer('/nonexistent')).toBeUndefined()
    await expect(startRedisServer({ path: '/nonexistent' })).rejects.toThrow(MISSING_REDIS_MESSAGE)
    expect(MISSING_REDIS_MESSAGE).toMatch(/Debian package `redis-server`/)
    expect(MISSING_REDIS_MESSAGE).toMatch(/AUTHLETE_GUARD_SKIP_REDIS=1/)
  })
})
