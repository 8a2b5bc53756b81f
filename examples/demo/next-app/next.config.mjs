import { fileURLToPath } from 'node:url'

// The monorepo root: the app imports the workspace packages through pnpm's symlinks, which
// Turbopack follows only inside its root.
const root = fileURLToPath(new URL('../../..', import.meta.url))

/** @type {import('next').NextConfig} */
export default {
  turbopack: { root },
  outputFileTracingRoot: root,
  // The guard calls Authlete through undici's keep-alive pool: keep the SDK a plain Node.js require.
  serverExternalPackages: ['@authlete-guard/core', '@authlete-guard/next', 'undici'],
}
