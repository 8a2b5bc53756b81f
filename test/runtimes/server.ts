/**
 * The Deno and Bun entry of the runtime tests: serves app.ts on 127.0.0.1 (a free port) with the
 * runtime's own server, reads AUTHLETE_* from the process environment, and prints one line of JSON,
 * `{ "port": N, "resolved": "file:///.../packages/hono/dist/index.js" }`, once it listens.
 * By hand, from test/:
 *
 *   deno run --sloppy-imports --no-remote --cached-only --node-modules-dir=manual \
 *     --allow-net=127.0.0.1 --allow-env=AUTHLETE_BASE_URL,... runtimes/server.ts
 *   bun --no-install --no-env-file --tsconfig-override=EMPTY.json runtimes/server.ts
 *
 * (Bun would otherwise take the root tsconfig's `paths` and load packages/hono/src.)
 */
import { createApp } from './app'

interface Runtimes {
  Deno?: { serve(options: { hostname: string; port: number; onListen(addr: { port: number }): void }, handler: (request: Request) => Response | Promise<Response>): unknown }
  Bun?: { serve(options: { hostname: string; port: number; fetch(request: Request): Response | Promise<Response> }): { port: number } }
}

const app = createApp(() => undefined)
const announce = (port: number) => console.log(JSON.stringify({ port, resolved: import.meta.resolve('@authlete-guard/hono') }))
const { Deno, Bun } = globalThis as Runtimes

if (Deno) Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => announce(port) }, app.fetch)
else if (Bun) announce(Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch }).port)
else throw new Error('server.ts runs on Deno or Bun')
