// Signs batches of DPoP proofs off the load generator's main thread, before a timed window, and
// returns them as ready-to-write HTTP/1.1 requests in one transferred buffer.
import { parentPort } from 'node:worker_threads'
import { proofSigner, requestText } from '../lib/proof.mjs'

let clients = []

parentPort.on('message', (task) => {
  if (task.type === 'init') {
    clients = task.clients.map((client) => ({ ...client, proof: proofSigner(client) }))
    parentPort.postMessage({ type: 'init' })
    return
  }
  const { kind, count, start, htm, htu, path, host } = task
  const parts = []
  const offsets = new Uint32Array(count + 1)
  let offset = 0
  for (let i = 0; i < count; i++) {
    const client = clients[(start + i) % clients.length]
    const text = requestText({ htm, path, host, token: client.tokens[kind], proof: client.proof(htm, htu, client.ath[kind]) })
    parts.push(text)
    offsets[i] = offset
    offset += text.length
  }
  offsets[count] = offset
  const buf = Buffer.from(parts.join(''), 'latin1')
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
  parentPort.postMessage({ type: 'batch', buf: ab, offsets }, [ab, offsets.buffer])
})
