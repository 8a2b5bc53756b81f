import { withAuth } from '@authlete-guard/next'
import { ROUTES } from '../../../../apps/routes.mjs'
import { getGuard, handler } from '../../../lib/guard.js'

// The guard calls Authlete through undici: Node.js runtime only.
export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'

export const GET = withAuth(getGuard, handler, ROUTES.find((r) => r.path === '/api/admin').options)
