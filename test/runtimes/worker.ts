/**
 * The Cloudflare Workers entry of the runtime tests: app.ts as a module worker. The bindings
 * (AUTHLETE_BASE_URL, AUTHLETE_SERVICE_APIKEY, AUTHLETE_SERVICE_ACCESSTOKEN) arrive with each
 * request; the app's guard factory reads them on the first request.
 */
import { createApp, type Env } from './app'

let bindings: Env | undefined
const app = createApp(() => {
  if (!bindings) throw new Error('worker.ts: the guard factory ran before a request brought the bindings')
  return bindings
})

export default {
  fetch(request: Request, env: Env, ctx: Parameters<typeof app.fetch>[2]): Response | Promise<Response> {
    bindings = env
    return app.fetch(request, env, ctx)
  },
}
