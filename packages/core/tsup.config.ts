import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base'

// One file per entry: the root (Web-standard), `/node`, `/authorization-server`, `/unstable`, and
// `/adapter` (the list every framework adapter re-exports). The entries share chunks (splitting in
// tsup.base.ts): one copy of each module however many entries a process loads.
export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    'authorization-server': 'src/authorization-server/index.ts',
    unstable: 'src/unstable.ts',
    adapter: 'src/kit/adapter-exports.ts',
  }),
)
