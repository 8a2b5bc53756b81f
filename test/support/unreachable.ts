import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * `http://127.0.0.1:PORT` where nothing listens: the port was bound a moment ago and is closed
 * now, so a request is refused at once (ECONNREFUSED). A guessed port (`:9`, `:1`) may be in use,
 * filtered or slow to fail on some machines; this one is certain.
 *
 * @example
 * const guard = createGuard({ authlete: { ...authlete, baseUrl: await unreachableUrl() } })
 */
export async function unreachableUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  return `http://127.0.0.1:${port}`
}
