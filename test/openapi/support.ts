// Validation of emulator traffic against Authlete's OpenAPI subsets (reference §9): the V3 file
// for `/api/{serviceId}/...`, the V2 file for `/api/...`. Every declared object schema is closed
// (`additionalProperties: false`), so a member the specification does not declare is an error;
// the only members added back are the documented exceptions below.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import { parse } from 'yaml'
import type { RecordedRequest } from '@authlete-guard/emulator'

export type ApiVersion = 'V2' | 'V3'

/** The subsets, by API version. */
export const SPEC_FILES: Readonly<Record<ApiVersion, string>> = {
  V3: 'authlete-api-3.0.16-subset.yaml',
  V2: 'authlete-api-2.3.12-subset.yaml',
}

/** The source of truth beside the repository, and the committed copies in this folder. */
export const SHARED_SPEC_DIR = fileURLToPath(new URL('../../../shared/reference/authlete-openapi/', import.meta.url))
export const SPEC_COPIES_DIR = fileURLToPath(new URL('./', import.meta.url))

/** A member the specification does not declare but Authlete accepts, with where that is written. */
export interface DocumentedException {
  version: ApiVersion
  /** Component schema name, e.g. `introspection_request`. */
  schema: string
  member: string
  memberSchema: Record<string, unknown>
  source: string
}

/** Reference §9 lists exactly one. */
export const DOCUMENTED_EXCEPTIONS: readonly DocumentedException[] = [
  {
    version: 'V2',
    schema: 'introspection_request',
    member: 'targetUri',
    memberSchema: { type: 'string' },
    source: 'reference §9: V2 introspection with targetUri is accepted by Authlete from 2.3 on, although the 2.3.12 OpenAPI does not declare it',
  },
]

type Json = Record<string, unknown>

/**
 * Operations the subsets leave out that the emulator serves, each with what Authlete's full
 * OpenAPI (3.0.16, the subsets' source) says and the schemas checked here.
 *
 * `GET /service/configuration` (`service_configuration_api`; query `pretty`, `patch`): its 200
 * reply is declared as an open object, "OpenID Provider configuration information" (OpenID
 * Connect Discovery 1.0 §3), and its error replies are the `result` schema. The check closes the
 * 200 reply to the metadata names RFC 8414 §2 and OpenID Connect Discovery §3 register, with their
 * types, plus `pushed_authorization_request_endpoint` (RFC 9126 §5),
 * `dpop_signing_alg_values_supported` (RFC 9449 §5.1) and
 * `tls_client_certificate_bound_access_tokens` (RFC 8705 §3.3): a member no registry defines is an error.
 */
export const DOCUMENTED_OPERATIONS: readonly { path: string; source: string; operation: Operation }[] = [
  {
    path: '/service/configuration',
    source: "Authlete API 3.0.16 service_configuration_api (GET /api/{serviceId}/service/configuration; V2: GET /api/service/configuration, as Authlete's Java library calls it); RFC 8414 §2, OpenID Connect Discovery 1.0 §3, RFC 9126 §5, RFC 9449 §5.1, RFC 8705 §3.3",
    operation: {
      // A GET: the emulator records no body (the empty string).
      request: { type: 'string', maxLength: 0 },
      replies: {
        '200': discoveryDocumentSchema(),
        ...Object.fromEntries(['400', '401', '403', '500'].map((status) => [status, { $ref: '#/components/schemas/result' }])),
      },
    },
  },
]

/** The registered authorization server metadata names (RFC 8414 §2, OIDC Discovery §3, RFC 9126, RFC 9449, RFC 8705), closed. */
function discoveryDocumentSchema(): Json {
  const strings = { type: 'array', items: { type: 'string' } }
  const url = { type: 'string' }
  const flag = { type: 'boolean' }
  const urls = [
    'issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint', 'service_documentation', 'op_policy_uri',
    'op_tos_uri', 'revocation_endpoint', 'introspection_endpoint', 'userinfo_endpoint', 'pushed_authorization_request_endpoint', 'end_session_endpoint',
  ]
  const lists = [
    'scopes_supported', 'response_types_supported', 'response_modes_supported', 'grant_types_supported', 'token_endpoint_auth_methods_supported',
    'token_endpoint_auth_signing_alg_values_supported', 'ui_locales_supported', 'revocation_endpoint_auth_methods_supported',
    'revocation_endpoint_auth_signing_alg_values_supported', 'introspection_endpoint_auth_methods_supported',
    'introspection_endpoint_auth_signing_alg_values_supported', 'code_challenge_methods_supported', 'acr_values_supported', 'subject_types_supported',
    'id_token_signing_alg_values_supported', 'id_token_encryption_alg_values_supported', 'id_token_encryption_enc_values_supported',
    'userinfo_signing_alg_values_supported', 'userinfo_encryption_alg_values_supported', 'userinfo_encryption_enc_values_supported',
    'request_object_signing_alg_values_supported', 'request_object_encryption_alg_values_supported', 'request_object_encryption_enc_values_supported',
    'display_values_supported', 'claim_types_supported', 'claims_supported', 'claims_locales_supported', 'dpop_signing_alg_values_supported',
  ]
  const flags = [
    'claims_parameter_supported', 'request_parameter_supported', 'request_uri_parameter_supported', 'require_request_uri_registration', 'require_pushed_authorization_requests',
    'tls_client_certificate_bound_access_tokens',
  ]
  const properties: Json = Object.fromEntries([...urls.map((n) => [n, url]), ...lists.map((n) => [n, strings]), ...flags.map((n) => [n, flag])])
  return { type: 'object', required: ['issuer'], properties, additionalProperties: false }
}

/** Read a subset: from the shared reference when present, else from the committed copy. */
export function readSpecText(version: ApiVersion): string {
  const name = SPEC_FILES[version]
  const dir = existsSync(`${SHARED_SPEC_DIR}${name}`) ? SHARED_SPEC_DIR : SPEC_COPIES_DIR
  return readFileSync(`${dir}${name}`, 'utf8')
}

/** Close every object schema that declares `properties` and says nothing about other members. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects)
  if (node === null || typeof node !== 'object') return
  const schema = node as Json
  if (schema.properties !== undefined && typeof schema.properties === 'object' && schema.additionalProperties === undefined) {
    schema.additionalProperties = false
  }
  for (const value of Object.values(schema)) closeObjects(value)
}

/** One operation of a subset: its request schema and its reply schemas by HTTP status. */
interface Operation {
  request?: unknown
  replies: Record<string, unknown>
}

const jsonSchemaOf = (content: unknown): unknown => (content as { 'application/json'?: { schema?: unknown } } | undefined)?.['application/json']?.schema

function operations(spec: Json): Record<string, Operation> {
  const result: Record<string, Operation> = {}
  const components = spec.components as { responses?: Record<string, { content?: unknown }> }
  for (const [path, item] of Object.entries(spec.paths as Record<string, { post?: Json }>)) {
    const post = item.post
    if (!post) continue
    const replies: Record<string, unknown> = {}
    for (const [status, reply] of Object.entries((post.responses ?? {}) as Record<string, { $ref?: string; content?: unknown }>)) {
      const resolved = reply.$ref ? components.responses?.[reply.$ref.split('/').pop() ?? ''] : reply
      replies[status] = jsonSchemaOf(resolved?.content)
    }
    result[path] = { request: jsonSchemaOf((post.requestBody as { content?: unknown } | undefined)?.content), replies }
  }
  return result
}

/** A compiled subset: validators per API path (`/api/{serviceId}/auth/token` or `/api/auth/token`). */
export interface SpecValidator {
  version: ApiVersion
  /** The operation's request validator, by path as the subset names it. */
  request(specPath: string): ValidateFunction | undefined
  /** The operation's reply validator for an HTTP status. */
  reply(specPath: string, status: number): ValidateFunction | undefined
}

/** Load, close and compile one subset, with its documented exceptions added back. */
export function loadSpec(version: ApiVersion): SpecValidator {
  const spec = parse(readSpecText(version)) as Json
  const schemas = (spec.components as { schemas: Record<string, Json> }).schemas
  closeObjects(schemas)
  for (const exception of DOCUMENTED_EXCEPTIONS.filter((e) => e.version === version)) {
    const target = schemas[exception.schema]
    if (!target) throw new Error(`documented exception names an unknown schema ${exception.schema}`)
    ;(target.properties as Json)[exception.member] = exception.memberSchema
  }
  const ops = operations(spec)
  const prefix = version === 'V3' ? '/api/{serviceId}' : '/api'
  for (const documented of DOCUMENTED_OPERATIONS) ops[`${prefix}${documented.path}`] = documented.operation
  closeObjects(ops)
  const id = `authlete-${version}`
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false })
  ajv.addSchema({ $id: id, components: { schemas }, operations: ops })
  const pointer = (path: string) => path.replace(/~/g, '~0').replace(/\//g, '~1')
  const get = (ref: string) => ajv.getSchema(`${id}#/operations/${ref}`)
  return {
    version,
    request: (specPath) => (ops[specPath]?.request ? get(`${pointer(specPath)}/request`) : undefined),
    reply: (specPath, status) => (ops[specPath]?.replies[String(status)] ? get(`${pointer(specPath)}/replies/${status}`) : undefined),
  }
}

/** The subset's path for a recorded request. */
export function specPathOf(recorded: RecordedRequest): string {
  return recorded.version === 'V3' ? `/api/{serviceId}${recorded.apiPath}` : `/api${recorded.apiPath}`
}

const describeError = (error: ErrorObject): string =>
  error.keyword === 'additionalProperties'
    ? `undeclared member ${error.instancePath}/${String((error.params as { additionalProperty: string }).additionalProperty)}`
    : `${error.instancePath || '(root)'} ${error.message ?? error.keyword}`

/** Problems of one value against one validator (empty when it conforms). */
export function problemsOf(validate: ValidateFunction | undefined, value: unknown, what: string): string[] {
  if (!validate) return [`${what}: not declared by the specification`]
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${what}: ${describeError(error)}`)
}

/** One checked exchange: what was sent, what came back, and every way they differ from the subset. */
export interface CheckedExchange {
  version: ApiVersion
  apiPath: string
  status: number | undefined
  problems: string[]
}

/** Check recorded exchanges, each against the subset of the version its path belongs to. */
export function checkExchanges(recorded: readonly RecordedRequest[], specs: Readonly<Record<ApiVersion, SpecValidator>>): CheckedExchange[] {
  return recorded.map((entry) => {
    const where = `${entry.version ?? '?'} ${entry.method} ${entry.apiPath}`
    if (!entry.version) return { version: 'V3', apiPath: entry.apiPath, status: entry.reply?.status, problems: [`${where}: not an API path`] }
    const spec = specs[entry.version]
    const path = specPathOf(entry)
    const problems = [...problemsOf(spec.request(path), entry.body, `${where} request`)]
    if (!entry.reply) problems.push(`${where}: no reply recorded`)
    else problems.push(...problemsOf(spec.reply(path, entry.reply.status), entry.reply.body, `${where} reply ${entry.reply.status}`))
    return { version: entry.version, apiPath: entry.apiPath, status: entry.reply?.status, problems }
  })
}

/** How many exchanges were checked, per API path. */
export function countByPath(checked: readonly CheckedExchange[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { apiPath } of checked) counts[apiPath] = (counts[apiPath] ?? 0) + 1
  return counts
}
