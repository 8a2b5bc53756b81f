import { fileURLToPath } from 'node:url'

// The monorepo root: the app imports the workspace packages' built `dist` through the symlinks
// in test/node_modules (pnpm), which Turbopack follows only inside its root.
const root = fileURLToPath(new URL('../../..', import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root },
  outputFileTracingRoot: root,
  // The guard talks to Authlete with undici's keep-alive pool: keep it (and the SDK) a plain
  // Node.js require instead of bundling it into the route.
  serverExternalPackages: ['@authlete-guard/core', '@authlete-guard/next', 'undici'],
}
