import { fileURLToPath } from 'node:url'

// The monorepo root: the app imports the workspace packages' built `dist` through the symlinks
// in test/node_modules (pnpm), which Turbopack follows only inside its root.
const root = fileURLToPath(new URL('../../..', import.meta.url))

// No serverExternalPackages: the packages are Web-standard (fetch, Web Crypto) and bundle like
// any other dependency, into Node.js routes, edge routes and the proxy alike.
/** @type {import('next').NextConfig} */
export default {
  turbopack: { root },
  outputFileTracingRoot: root,
}
