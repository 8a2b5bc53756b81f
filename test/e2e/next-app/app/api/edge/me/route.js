import { withAuth } from '@authlete-guard/next'
import { getGuard } from '../../../../lib/guard.js'

// The edge runtime: withAuth and the core use only fetch, Request/Response and Web Crypto.
export const runtime = 'edge'
export const dynamic = 'force-dynamic'

export const GET = withAuth(
  getGuard,
  async (_request, { auth }) =>
    Response.json({ runtime: typeof EdgeRuntime === 'string' ? 'edge' : 'nodejs', sub: auth.subject ?? null, clientId: auth.clientId, scopes: auth.scopes, tokenType: auth.tokenType }),
  { scopes: ['profile'] },
)
