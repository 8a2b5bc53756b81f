import { once } from 'node:events'

/** Wait for a node:http server to listen and describe it as { url, close }. */
export async function listen(server) {
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
