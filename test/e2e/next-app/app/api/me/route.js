import { withAuth } from '@authlete-guard/next'
import { getGuard } from '../../../lib/guard.js'

// The Node.js runtime (see app/api/edge/me for the edge runtime).
export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'

export const GET = withAuth(
  getGuard,
  async (_request, { auth, params }) => {
    await params
    return Response.json({ sub: auth.subject ?? null, clientId: auth.clientId, scopes: auth.scopes, tokenType: auth.tokenType })
  },
  { scopes: ['profile'] },
)
