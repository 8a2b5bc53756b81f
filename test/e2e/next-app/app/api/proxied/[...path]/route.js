import { authFromHeaders } from '@authlete-guard/next'

export const dynamic = 'force-dynamic'

// Behind proxy.js (its matcher covers /api/proxied/*): the principal comes from the request
// headers the proxy wrote. `x-route-ran` shows the route ran at all.
export async function GET(request, { params }) {
  const { path } = await params
  return Response.json(
    { path: path.join('/'), auth: authFromHeaders(request.headers) ?? null, subjectHeader: request.headers.get('x-authlete-guard-subject') },
    { headers: { 'x-route-ran': '1' } },
  )
}
