// What test/docs/facts.test.ts reads: the Markdown pages, the constants they quote, the tables
// marked as checked, the core's folder map, and the code's side of each fact (exports as the
// TypeScript compiler sees them, code lines as its parser sees them).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const repo = fileURLToPath(new URL('../..', import.meta.url))

/** The marker, on the line before a table, that puts the table under test/docs/facts.test.ts. */
export const CHECKED_TABLE = '<!-- checked: test/docs/facts.test.ts -->'

export interface Page {
  /** Path from the repository root, e.g. `docs/architecture.md`. */
  path: string
  text: string
}

/** Every page the docs consist of: docs/*.md, the root README and each package's README. */
export function pages(): Page[] {
  const packageReadmes = readdirSync(join(repo, 'packages'))
    .map((name) => join('packages', name, 'README.md'))
    .filter((path) => exists(join(repo, path)))
  const docs = readdirSync(join(repo, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join('docs', name))
  return ['README.md', ...docs, ...packageReadmes].map((path) => ({ path, text: readFileSync(join(repo, path), 'utf8') }))
}

export function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

/** 1-based line of `index` in `text`. */
export function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length
}

// ---------------------------------------------------------------------------------------------
// Constants quoted with their value: "`NAME` = value".

/** Upper-snake exported constants whose value a page can quote: numbers, strings, lists, plain objects. */
export function quotableConstants(modules: Record<string, Record<string, unknown>>): Map<string, unknown> {
  const constants = new Map<string, unknown>()
  for (const [specifier, module] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(module)) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name) || !quotable(value)) continue
      if (constants.has(name) && !sameValue(constants.get(name), value)) throw new Error(`${name} has two values (${specifier})`)
      constants.set(name, value)
    }
  }
  return constants
}

function quotable(value: unknown): boolean {
  if (['number', 'string', 'boolean'].includes(typeof value)) return true
  if (Array.isArray(value)) return value.every((item) => ['number', 'string'].includes(typeof item))
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every((item) => ['number', 'string', 'boolean'].includes(typeof item))
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export interface Quote {
  page: string
  line: number
  name: string
  /** The words after `= `, as written. */
  written: string
}

/** Each "`NAME` = value" (or `NAME = value` inside a code span) of a known constant. */
export function quotes(page: Page, names: Iterable<string>): Quote[] {
  const found: Quote[] = []
  for (const name of names) {
    for (const match of page.text.matchAll(new RegExp(`\\b${name}\\b\`?\\s*=\\s*(\\*\\*[^*]+\\*\\*|\`[^\`]+\`|'[^']*'|\\d(?:[\\d,_.]*\\d)?(?:\\s*(?:ms|s|KiB|MiB|bytes)\\b)?)`, 'g'))) {
      found.push({ page: page.path, line: lineOf(page.text, match.index), name, written: match[1]! })
    }
  }
  return found
}

/** Why `written` does not state `value`, or undefined when it does. */
export function misquote(name: string, value: unknown, written: string): string | undefined {
  const unit = /\s*(ms|s|KiB|MiB|bytes)$/.exec(written)?.[1]
  const bare = written.replace(/\s*(ms|s|KiB|MiB|bytes)$/, '').replace(/^\*\*|\*\*$/g, '').replace(/^`|`$/g, '')
  if (unit === 's' && /_MS$/.test(name)) return `${name} is in milliseconds, written in seconds`
  if (unit === 'ms' && /(_SECONDS|_DURATION)$/.test(name)) return `${name} is in seconds, written in milliseconds`
  const read = readValue(bare, value)
  if (read === undefined) return `cannot read "${written}" as the value of ${name}`
  return sameValue(read, value) ? undefined : `${name} is ${JSON.stringify(value)}, the page says ${written}`
}

/** `text` read as a value of the same kind as `like`. */
function readValue(text: string, like: unknown): unknown {
  if (typeof like === 'number') return /^-?[\d,_]*\.?\d+$/.test(text) ? Number(text.replace(/[,_]/g, '')) : undefined
  if (typeof like === 'string') return text.replace(/^'(.*)'$/, '$1')
  if (typeof like === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined
  if (Array.isArray(like)) {
    const items = text.startsWith('[') ? text.slice(1, -1).split(',') : text.split(/\s+/)
    return items.map((item) => item.trim().replace(/^'(.*)'$/, '$1')).map((item) => (typeof like[0] === 'number' ? Number(item) : item))
  }
  return readObjectLiteral(text)
}

/** A one-level JS object literal of numbers, strings and booleans (`{ a: 1, b: 'x' }`). */
function readObjectLiteral(text: string): Record<string, unknown> | undefined {
  if (!/^\{.*\}$/.test(text)) return undefined
  const entries = text.slice(1, -1).split(',').map((entry) => entry.trim()).filter(Boolean)
  const object: Record<string, unknown> = {}
  for (const entry of entries) {
    const match = /^(\w+)\s*:\s*(.+)$/.exec(entry)
    if (!match) return undefined
    const raw = match[2]!.trim()
    object[match[1]!] = /^'.*'$/.test(raw) ? raw.slice(1, -1) : raw === 'true' ? true : raw === 'false' ? false : Number(raw.replace(/_/g, ''))
  }
  return object
}

/**
 * Places where a page gives a constant's value in another form than "`NAME` = value", which the
 * value check would not see: "`NAME` (500)", "`NAME`, 10,000", "`300` (`NAME`)", "60 s (`NAME`".
 */
export function looseQuotes(page: Page, names: Iterable<string>): string[] {
  const loose: string[] = []
  for (const name of names) {
    for (const match of page.text.matchAll(new RegExp(`\\b${name}\\b\`?`, 'g'))) {
      const before = page.text.slice(Math.max(0, match.index - 40), match.index)
      const after = page.text.slice(match.index + match[0].length, match.index + match[0].length + 12)
      const valueAfter = /^\s*\(\s*(\*\*)?[\d`'{[]/.test(after) || /^,\s*(\*\*)?\d/.test(after)
      const valueBefore = /(\*\*[\d,._]+\*\*|`[^`]+`|\b\d[\d,._]*(\s*(ms|s|KiB|MiB))?)\s*\(`?$/.test(before)
      if (valueAfter || valueBefore) loose.push(`${page.path}:${lineOf(page.text, match.index)}: ${name}: write "\`${name}\` = value"`)
    }
  }
  return loose
}

// ---------------------------------------------------------------------------------------------
// Checked tables.

export interface CheckedTable {
  page: string
  line: number
  header: string[]
  rows: string[][]
}

/** Cells of one Markdown table row; `\|` inside a cell is not a separator. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((cell) => cell.trim())
}

/** Every table right after the `CHECKED_TABLE` marker, its header normalised (lower case, no backticks). */
export function checkedTables(page: Page): CheckedTable[] {
  const lines = page.text.split('\n')
  const tables: CheckedTable[] = []
  lines.forEach((line, index) => {
    if (line.trim() !== CHECKED_TABLE) return
    const body: string[] = []
    for (let i = index + 1; i < lines.length && lines[i]!.trim().startsWith('|'); i++) body.push(lines[i]!)
    if (body.length < 3) throw new Error(`${page.path}:${index + 1}: the checked marker must be followed by a table`)
    const header = cells(body[0]!).map((cell) => cell.replace(/`/g, '').toLowerCase())
    tables.push({ page: page.path, line: index + 2, header, rows: body.slice(2).map(cells) })
  })
  return tables
}

/** The backticked words of a cell. */
export function ticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!)
}

// ---------------------------------------------------------------------------------------------
// The code's side: exports by the TypeScript compiler, code lines by its parser.

/** Entry specifier -> source file, from tsconfig.json's `paths` (the same map as vitest's aliases). */
export function entrySources(): Map<string, string> {
  const config = tsconfig()
  return new Map(Object.entries(config.options.paths ?? {}).map(([specifier, [path]]) => [specifier, join(repo, path!)]))
}

function tsconfig(): ts.ParsedCommandLine {
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic: ts.Diagnostic) => { throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')) } }
  const config = ts.getParsedCommandLineOfConfigFile(join(repo, 'tsconfig.json'), {}, host)
  if (!config) throw new Error('tsconfig.json could not be read')
  return config
}

/** Entry specifier -> every name it exports, values and types, as the compiler resolves them. */
export function exportedNames(): Map<string, string[]> {
  const sources = entrySources()
  const program = ts.createProgram([...sources.values()], { ...tsconfig().options, noEmit: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const names = new Map<string, string[]>()
  for (const [specifier, file] of sources) {
    const source = program.getSourceFile(file)
    const symbol = source && checker.getSymbolAtLocation(source)
    if (!symbol) throw new Error(`no module symbol for ${file}`)
    names.set(specifier, checker.getExportsOfModule(symbol).map((item) => item.name).sort())
  }
  return names
}

/** Lines holding code: no blank line, no comment (TSDoc included). */
export function codeLines(file: string): number {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const lines = new Set<number>()
  const visit = (node: ts.Node): void => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return
    const children = node.getChildren(source)
    if (children.length > 0) return children.forEach(visit)
    if (node.kind === ts.SyntaxKind.EndOfFileToken) return
    const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
    const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
    for (let line = first; line <= last; line++) lines.add(line)
  }
  visit(source)
  return lines.size
}

/** Every .ts file under `dir`, recursively. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return tsFiles(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

export const fromRepo = (path: string): string => relative(repo, path)

// ---------------------------------------------------------------------------------------------
// Links and headings.

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** The anchors of a page's headings (outside code blocks), with GitHub's -1, -2 for repeats. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const line of withoutCodeBlocks(text).split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1]
    if (heading === undefined) continue
    const base = anchorOf(heading)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  return result
}

/** The text with fenced code blocks blanked (their lines kept, so line numbers stay right). */
export function withoutCodeBlocks(text: string): string {
  let inside = false
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inside = !inside
        return ''
      }
      return inside ? '' : line
    })
    .join('\n')
}
