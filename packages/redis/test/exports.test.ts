import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import * as root from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
it('exports the two stores and their defaults, nothing else', () => {
  expect(Object.keys(root).sort()).toEqual([
    'DEFAULT_CACHE_PREFIX',
    'DEFAULT_LOCAL_TTL_MS',
    'DEFAULT_REDIS_TIMEOUT_MS',
    'DEFAULT_REPLAY_PREFIX',
    'createRedisIntrospectionCache',
    'createRedisReplayStore',
  ])
})

it('every public export, values and types, has a JSDoc @example', () => {
  const names = [...Object.keys(root), 'RedisClient', 'RedisReplayStore', 'RedisReplayStoreOptions', 'RedisIntrospectionCacheOptions']
  const sources = ['client', 'replay-store', 'introspection-cache'].map((file) => readFileSync(new URL(`../src/${file}.ts`, import.meta.url), 'utf8')).join('\n')
  for (const name of names) {
    const declaration = new RegExp(`/\\*\\*((?!\\*/)[\\s\\S])*@example((?!\\*/)[\\s\\S])*\\*/\\s*export (?:const|function|interface|type) ${name}\\b`)
    expect(sources, name).toMatch(declaration)
  }
})
