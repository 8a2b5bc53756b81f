// Request/reply over a forked child's IPC channel: `rpc(child, type, payload)` in the parent,
// `serve(handlers)` in the child. Children also push events ({ event, ... }) to the parent.

let nextId = 1

/** Parent side: one call, answered by the child's handler of `type`. */
export function rpc(child, type, payload, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const id = nextId++
    const timer = setTimeout(() => {
      child.off('message', onMessage)
      reject(new Error(`${child.benchName ?? 'child'}: no answer to ${type} within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (message) => {
      if (message?.id !== id) return
      clearTimeout(timer)
      child.off('message', onMessage)
      if (message.ok) resolve(message.result)
      else reject(new Error(`${child.benchName ?? 'child'}: ${type} failed: ${message.error}`))
    }
    child.on('message', onMessage)
    child.send({ id, type, payload })
  })
}

/** Child side: answer the parent's calls; exit when the parent goes away. */
export function serve(handlers) {
  process.on('disconnect', () => process.exit(0))
  process.on('message', async (message) => {
    if (!message || typeof message.id !== 'number') return
    const handler = handlers[message.type]
    try {
      if (!handler) throw new Error(`unknown call ${message.type}`)
      const result = await handler(message.payload)
      process.send({ id: message.id, ok: true, result })
    } catch (error) {
      process.send({ id: message.id, ok: false, error: error?.stack ?? String(error) })
    }
  })
}
