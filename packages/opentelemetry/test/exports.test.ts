import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import * as root from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
it('exports the instrumentation, its scope and its buckets, nothing else', () => {
  expect(Object.keys(root).sort()).toEqual(['AUTHLETE_DURATION_BUCKETS', 'INSTRUMENTATION_SCOPE', 'instrumentAuthleteGuard'])
  expect(root.INSTRUMENTATION_SCOPE).toBe('@authlete-guard/opentelemetry')
})

it('every public export, values and types, has a JSDoc @example', () => {
  const names = [...Object.keys(root), 'AuthleteGuardInstrumentation', 'AuthleteGuardInstrumentationOptions']
  const sources = ['instrument', 'instruments'].map((file) => readFileSync(new URL(`../src/${file}.ts`, import.meta.url), 'utf8')).join('\n')
  for (const name of names) {
    const declaration = new RegExp(`/\\*\\*((?!\\*/)[\\s\\S])*@example((?!\\*/)[\\s\\S])*\\*/\\s*export (?:const|function|interface|type) ${name}\\b`)
    expect(sources, name).toMatch(declaration)
  }
})
