// The shared test vectors (RFC 9449 examples, the seed document's token request). The source of
// truth is ../shared/vectors beside the repository; a committed copy here keeps the suites
// runnable in a clone without it, and vectors.test.ts fails if the copy ever drifts.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const sharedDir = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url))
const copyDir = fileURLToPath(new URL('./', import.meta.url))

/** Read a vector file, from ../shared/vectors when present, else from the committed copy. */
export function loadVector<T = any>(name: string): T {
  const dir = existsSync(`${sharedDir}${name}`) ? sharedDir : copyDir
  return JSON.parse(readFileSync(`${dir}${name}`, 'utf8')) as T
}

export const SHARED_VECTORS_DIR = sharedDir
export const VECTOR_COPIES_DIR = copyDir
