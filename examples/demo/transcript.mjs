/** Readable output for the demo: steps, requests, responses, verdicts. Colour only on a TTY. */
const tty = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code) => (text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text)
export const bold = paint('1')
export const dim = paint('2')
export const green = paint('32')
export const red = paint('31')
export const cyan = paint('36')
export const yellow = paint('33')

/** Shorten a long credential so the transcript stays readable but recognisable. */
export function short(value, keep = 24) {
  return value.length <= keep + 8 ? value : `${value.slice(0, keep)}…(${value.length} chars)`
}

const SHOWN_RESPONSE_HEADERS = ['www-authenticate', 'dpop-nonce', 'cache-control', 'content-type']

export function step(n, title) {
  console.log(`\n${bold(cyan(`Step ${n}.`))} ${bold(title)}`)
}

export function note(text) {
  console.log(`  ${dim(text)}`)
}

export function request(method, url, headers = {}, body) {
  console.log(`  ${yellow('→')} ${bold(method)} ${url}`)
  for (const [name, value] of Object.entries(headers)) {
    const shown = /^(authorization|dpop)$/i.test(name) ? short(value, name.toLowerCase() === 'dpop' ? 32 : 40) : value
    console.log(`    ${name}: ${shown}`)
  }
  if (body) console.log(`    ${dim(body)}`)
}

export function response(res, bodyText) {
  console.log(`  ${yellow('←')} ${bold(String(res.status))} ${res.statusText ?? ''}`)
  for (const name of SHOWN_RESPONSE_HEADERS) {
    const value = res.headers.get(name)
    if (value !== null) console.log(`    ${name}: ${name === 'dpop-nonce' ? short(value) : value}`)
  }
  if (bodyText) console.log(`    ${dim(bodyText.length > 300 ? `${bodyText.slice(0, 300)}…` : bodyText)}`)
}

export function verdict(ok, text) {
  console.log(`  ${ok ? green('✔') : red('✘')} ${text}`)
  return ok
}
