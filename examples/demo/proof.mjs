#!/usr/bin/env node
// Print a fresh DPoP proof signed with the demo's saved key, for curl:
//   node examples/demo/proof.mjs METHOD URL [ACCESS_TOKEN] [NONCE]
// The key file is the one `pnpm demo --serve` wrote (DEMO_KEY, or the default path below).
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createDpopProof } from '@authlete-guard/emulator'
import { DEFAULT_KEY_FILE } from './serve.mjs'

const [method, url, accessToken, nonce] = process.argv.slice(2)
if (!method || !url) {
  console.error('Usage: node examples/demo/proof.mjs METHOD URL [ACCESS_TOKEN] [NONCE]')
  process.exit(2)
}
const saved = JSON.parse(readFileSync(process.env.DEMO_KEY ?? DEFAULT_KEY_FILE, 'utf8'))
const privateKey = createPrivateKey(saved.privateKeyPem)
const publicKey = createPublicKey(privateKey)
const key = { alg: saved.alg, privateKey, publicKey, publicJwk: publicKey.export({ format: 'jwk' }), thumbprint: saved.thumbprint }
process.stdout.write(await createDpopProof(key, { htm: method.toUpperCase(), htu: url, accessToken: accessToken || undefined, nonce: nonce || undefined }))
