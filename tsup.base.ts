import type { Options } from 'tsup'

/**
 * Shared build: ESM + CJS + declarations for every published package. `splitting` puts a module
 * used by several entries of a package in one shared chunk (for CJS too: tsup's experimental CJS
 * splitting, checked by test/package-shape), so a process that loads several entries (the core's
 * root and `/node`, as the Node adapters do) has one copy of each module: one `AuthleteGuardError`
 * class, one replay-store module, one guard. A single-entry package gets no chunks.
 */
export function packageConfig(entry: string[] | Record<string, string>): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    treeshake: true,
  }
}
