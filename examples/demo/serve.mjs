import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDpopKeyPair } from '@authlete-guard/emulator'
import * as t from './transcript.mjs'

/** Where `--serve` saves the demo client's DPoP key for `proof.mjs`. */
export const DEFAULT_KEY_FILE = join(tmpdir(), 'authlete-guard-demo-key.json')

/** Save a DPoP key for the hand-run client and print copy-paste commands. */
export async function printServeHelp({ tokenUrl, apiUrl, client, emulator }) {
  const key = await createDpopKeyPair('ES256')
  const privateKeyPem = key.privateKey.export({ format: 'pem', type: 'pkcs8' })
  writeFileSync(DEFAULT_KEY_FILE, JSON.stringify({ alg: key.alg, thumbprint: key.thumbprint, privateKeyPem }), { mode: 0o600 })
  const proof = (method, url, withToken = false) => `$(node examples/demo/proof.mjs ${method} ${url}${withToken ? ' "$TOKEN"' : ''})`
  console.log(`\n${t.bold('Everything is running. Try it by hand (from the repository root):')}\n`)
  console.log(t.dim(`# The client's DPoP key was saved to ${DEFAULT_KEY_FILE} (jkt ${key.thumbprint}).`))
  console.log(t.dim('# 1. Get a DPoP-bound token (client_credentials, scope profile):'))
  console.log(`TOKEN=$(curl -s -X POST ${tokenUrl} -u '${client.clientId}:${client.clientSecret}' \\\n  -H "DPoP: ${proof('POST', tokenUrl)}" \\\n  -d grant_type=client_credentials -d scope=profile | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`)
  console.log(t.dim('\n# 2. Call the protected route (200):'))
  console.log(`curl -i ${apiUrl}/api/me -H "Authorization: DPoP $TOKEN" -H "DPoP: ${proof('GET', `${apiUrl}/api/me`, true)}"`)
  console.log(t.dim('\n# 3. A route needing a scope the token lacks (403):'))
  console.log(`curl -i ${apiUrl}/api/admin -H "Authorization: DPoP $TOKEN" -H "DPoP: ${proof('GET', `${apiUrl}/api/admin`, true)}"`)
  console.log(t.dim('\n# 4. The same token as Bearer, without its proof (401, no downgrade):'))
  console.log(`curl -i ${apiUrl}/api/me -H "Authorization: Bearer $TOKEN"`)
  console.log(t.dim('\n# 5. No token at all (401 with the challenges):'))
  console.log(`curl -i ${apiUrl}/api/me`)
  if (emulator) {
    console.log(t.dim('\n# The emulator speaks Authlete\'s API; point your own app at it with:'))
    console.log(`export AUTHLETE_BASE_URL=${emulator.url} AUTHLETE_API_VERSION=V3 AUTHLETE_SERVICE_APIKEY=${emulator.serviceId} AUTHLETE_SERVICE_ACCESSTOKEN=${emulator.accessToken}`)
  }
  console.log(`\n${t.dim('Press Ctrl+C to stop.')}`)
}
