/** `dpopNonce` of an Authlete reply when it is a usable one. */
export function dpopNonceOf(reply: { dpopNonce?: unknown } | undefined): string | undefined {
  const nonce = reply?.dpopNonce
  return typeof nonce === 'string' && nonce !== '' ? nonce : undefined
}

/** `resultCode` of an Authlete reply, cut to 16 characters (Authlete's are 7), for errors and reasons. */
export function resultCodeOf(reply: { resultCode?: unknown }): string | undefined {
  return typeof reply.resultCode === 'string' ? reply.resultCode.slice(0, 16) : undefined
}
