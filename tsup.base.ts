import type { Options } from 'tsup'

/** Shared build: ESM + CJS + declarations for every published package. */
export function packageConfig(entry: string[] | Record<string, string>): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  }
}
