import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.base'

// One file per entry: the root (Web-standard), `/node`, `/authorization-server`, `/unstable`.
export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    'authorization-server': 'src/authorization-server/index.ts',
    unstable: 'src/unstable.ts',
  }),
)
