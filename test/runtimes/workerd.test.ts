/**
 * app.ts as a Cloudflare Worker: worker.ts bundled by esbuild the way a Workers build does
 * (platform neutral, conditions workerd/worker/browser, ESM) from the BUILT packages, run in
 * workerd through miniflare with no `nodejs_compat` flag. Two workers of the one bundle: `up`,
 * whose bindings point AUTHLETE_BASE_URL at the emulator, and `down`, pointing it at a closed port.
 * Each worker listens on its own workerd socket on 127.0.0.1 (no miniflare entry worker in front):
 * the worker sees the URL and `Host` that Node sends, so the proof's `htu` is that URL. The four
 * cases of cases.ts run over real HTTP; the worker's own fetch to 127.0.0.1 needs no outbound set-up.
 */
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { describe, expect, it } from 'vitest'
import { itGuardsRoutesOn } from './cases'
import { bundle, HERE, type Bundle } from './support'

describe('Cloudflare Workers (workerd through miniflare)', () => {
  let worker: Bundle | undefined

  itGuardsRoutesOn(async (env) => {
    worker = await bundle({ file: join(HERE, 'worker.ts') }, { conditions: ['workerd', 'worker', 'browser'] })
    const mf = new Miniflare({
      workers: Object.entries(env).map(([name, bindings]) => ({
        name,
        modules: true,
        script: worker!.code,
        compatibilityDate: '2025-06-01',
        bindings,
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      })),
    })
    try {
      await mf.ready
      const origin = async (name: string) => (await mf.unsafeGetDirectURL(name)).origin
      return { up: await origin('up'), down: await origin('down'), close: () => mf.dispose() }
    } catch (error) {
      await mf.dispose()
      throw error
    }
  })

  it('the worker bundle is the built packages, with no Node built-in', () => {
    expect(worker?.inputs).toEqual(expect.arrayContaining(['packages/hono/dist/index.js', 'packages/core/dist/index.js']))
    expect(worker?.inputs.filter((input) => /\/src\/|undici/.test(input) && !input.startsWith('test/'))).toEqual([])
    expect(worker?.nodeImports).toEqual([])
  })
})
