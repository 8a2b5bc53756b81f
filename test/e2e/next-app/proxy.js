import { authProxy } from '@authlete-guard/next'
import { getGuard } from './lib/guard.js'

// Next 16's proxy (Next 14 and 15: middleware.js exporting `middleware`). Every /api/proxied/*
// request goes through it: /api/proxied/open unchecked, /api/proxied/nonce with DPoP nonces
// required, the rest with the scope `profile`. None keeps a client's x-authlete-guard-* header.
export const proxy = authProxy(getGuard, (request) => {
  const { pathname } = new URL(request.url)
  if (pathname === '/api/proxied/open') return false
  if (pathname === '/api/proxied/nonce') return { scopes: ['profile'], dpopNonceRequired: true }
  return { scopes: ['profile'] }
})

export const config = { matcher: '/api/proxied/:path*' }
