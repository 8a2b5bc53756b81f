// The facts the docs state about the code, checked against the code: a changed default, export,
// entry, file or size fails here instead of contradicting the pages that quote it (issue 20,
// point 5). What is checked, and the forms a page must use for it:
// - a constant's value: "`NAME` = value" (any other way of giving an exported constant's value
//   fails), and every `DEFAULT_*` a page names is exported by a package;
// - tables after the marker `<!-- checked: test/docs/facts.test.ts -->`: an `entry` / `package`
//   column (one backticked specifier), and any of `values` (exactly the entry's runtime exports),
//   `types` (exactly its type-only exports; in both, a backticked specifier stands for that entry's
//   list), `createGuard is` ("`name` of `specifier`") and
//   `code lines` (the package's src/, and "`file.ts` N" per file, within 15% or 5 lines);
// - the core's folder map in docs/architecture.md names every file of packages/core/src;
// - the index (docs/README.md) lists every page once, and relative links and #anchors resolve.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import * as core from '@authlete-guard/core'
import * as adapterList from '@authlete-guard/core/adapter'
import * as authorizationServer from '@authlete-guard/core/authorization-server'
import * as node from '@authlete-guard/core/node'
import * as unstable from '@authlete-guard/core/unstable'
import * as emulator from '@authlete-guard/emulator'
import * as express from '@authlete-guard/express'
import * as fastify from '@authlete-guard/fastify'
import * as hono from '@authlete-guard/hono'
import * as koa from '@authlete-guard/koa'
import * as nestjs from '@authlete-guard/nestjs'
import * as next from '@authlete-guard/next'
import * as mcp from '@authlete-guard/mcp'
import * as opentelemetry from '@authlete-guard/opentelemetry'
import * as redis from '@authlete-guard/redis'
import {
  anchors,
  checkedTables,
  codeLines,
  exists,
  exportedNames,
  fromRepo,
  lineOf,
  looseQuotes,
  misquote,
  pages,
  quotableConstants,
  quotes,
  repo,
  ticked,
  tsFiles,
  withoutCodeBlocks,
  type CheckedTable,
} from './doc-facts'

const modules: Record<string, Record<string, unknown>> = {
  '@authlete-guard/core': core,
  '@authlete-guard/core/node': node,
  '@authlete-guard/core/authorization-server': authorizationServer,
  '@authlete-guard/core/unstable': unstable,
  '@authlete-guard/core/adapter': adapterList,
  '@authlete-guard/express': express,
  '@authlete-guard/fastify': fastify,
  '@authlete-guard/koa': koa,
  '@authlete-guard/next': next,
  '@authlete-guard/hono': hono,
  '@authlete-guard/nestjs': nestjs,
  '@authlete-guard/redis': redis,
  '@authlete-guard/opentelemetry': opentelemetry,
  '@authlete-guard/mcp': mcp,
  '@authlete-guard/emulator': emulator,
}

const docs = pages()
const constants = quotableConstants(modules)
const tables = docs.flatMap(checkedTables)

describe('constants quoted in the docs', () => {
  it('every DEFAULT_* a page names is exported by a package', () => {
    const unknown = docs.flatMap((page) =>
      [...page.text.matchAll(/\bDEFAULT_[A-Z0-9_]+\b/g)].filter((match) => !constants.has(match[0])).map((match) => `${page.path}:${lineOf(page.text, match.index)}: ${match[0]}`),
    )
    expect(unknown).toEqual([])
  })

  it('"`NAME` = value" states the value the code has', () => {
    const all = docs.flatMap((page) => quotes(page, constants.keys()))
    expect(all.length).toBeGreaterThan(20)
    const wrong = all.flatMap((quote) => {
      const problem = misquote(quote.name, constants.get(quote.name), quote.written)
      return problem === undefined ? [] : [`${quote.page}:${quote.line}: ${problem}`]
    })
    expect(wrong).toEqual([])
  })

  it('a value is given only in that form, which the check above reads', () => {
    expect(docs.flatMap((page) => looseQuotes(page, constants.keys()))).toEqual([])
  })
})

describe('checked tables', () => {
  let names: Map<string, string[]>
  beforeAll(() => {
    names = exportedNames()
  }, 120_000)

  const valuesOf = (specifier: string) => Object.keys(modules[specifier]!).sort()
  const typesOf = (specifier: string) => names.get(specifier)!.filter((name) => !valuesOf(specifier).includes(name))
  const column = (table: CheckedTable, ...titles: string[]) => table.header.findIndex((title) => titles.includes(title))
  const where = (table: CheckedTable, row: string[]) => `${table.page}:${table.line} ${row[0]}`
  const entryOf = (table: CheckedTable, row: string[]): string => {
    const [specifier, ...more] = ticked(row[column(table, 'entry', 'package')] ?? '')
    if (specifier === undefined || more.length > 0 || !(specifier in modules)) throw new Error(`${where(table, row)}: the entry cell must be one known specifier`)
    return specifier
  }

  it('there are checked tables, each with an entry column', () => {
    expect(tables.length).toBeGreaterThan(0)
    for (const table of tables) expect(column(table, 'entry', 'package'), `${table.page}:${table.line}`).toBeGreaterThanOrEqual(0)
  })

  it('"values" lists exactly the entry\'s runtime exports, "types" exactly its type-only exports', () => {
    const wrong: string[] = []
    for (const table of tables) {
      for (const row of table.rows) {
        const specifier = entryOf(table, row)
        const values = valuesOf(specifier)
        const types = typesOf(specifier)
        for (const [title, expected, of] of [['values', values, valuesOf], ['types', types, typesOf]] as const) {
          const index = column(table, title)
          if (index < 0) continue
          // A specifier in the cell stands for that entry's whole list (an adapter's re-exports).
          const listed = [...new Set(ticked(row[index]!).flatMap((name) => (name in modules ? of(name) : [name])))].sort()
          if (JSON.stringify(listed) !== JSON.stringify(expected)) {
            wrong.push(`${where(table, row)} ${title}: missing [${expected.filter((name) => !listed.includes(name))}], not exported [${listed.filter((name) => !expected.includes(name))}]`)
          }
        }
      }
    }
    expect(wrong).toEqual([])
  })

  it('every entry of every package\'s exports map has a row with its values and types', () => {
    const documented = new Set(tables.filter((table) => column(table, 'values') >= 0 && column(table, 'types') >= 0).flatMap((table) => table.rows.map((row) => entryOf(table, row))))
    const entries = readdirSync(join(repo, 'packages')).flatMap((dir) => {
      const manifest = JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> }
      return Object.keys(manifest.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? manifest.name : `${manifest.name}${key.slice(1)}`))
    })
    expect(entries.filter((entry) => !documented.has(entry))).toEqual([])
  })

  it('"createGuard is" names the very function the package exports as createGuard', () => {
    const wrong: string[] = []
    for (const table of tables) {
      const index = column(table, 'createguard is')
      if (index < 0) continue
      for (const row of table.rows) {
        const [name, from] = ticked(row[index]!)
        const actual = modules[entryOf(table, row)]!.createGuard
        if (actual === undefined && name === undefined) continue // a package without a createGuard, its cell empty
        if (actual === undefined || from === undefined || modules[from]?.[name!] !== actual) wrong.push(`${where(table, row)}: createGuard is not ${name} of ${from}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('"code lines" are within 15% (or 5 lines) of what the package\'s src/ has today', () => {
    const near = (written: number, actual: number) => Math.abs(written - actual) <= Math.max(5, actual * 0.15)
    const wrong: string[] = []
    for (const table of tables) {
      const index = column(table, 'code lines')
      if (index < 0) continue
      for (const row of table.rows) {
        const src = join(repo, 'packages', entryOf(table, row).replace('@authlete-guard/', ''), 'src')
        const files = tsFiles(src)
        const total = files.reduce((sum, file) => sum + codeLines(file), 0)
        const written = Number(/^\s*(\d+)/.exec(row[index]!)?.[1])
        if (!near(written, total)) wrong.push(`${where(table, row)}: ${written} code lines written, ${total} today`)
        for (const match of row[index]!.matchAll(/`([\w./-]+\.ts)` (\d+)/g)) {
          const file = join(src, match[1]!)
          const actual = exists(file) ? codeLines(file) : Number.NaN
          if (!near(Number(match[2]), actual)) wrong.push(`${where(table, row)}: ${match[1]} ${match[2]} written, ${actual} today`)
        }
      }
    }
    expect(wrong).toEqual([])
  })
})

describe('the folder map of docs/architecture.md', () => {
  const page = docs.find((doc) => doc.path === join('docs', 'architecture.md'))!
  const block = /## Folder map\s+```\n([\s\S]*?)```/.exec(page.text)?.[1] ?? ''
  const coreLines = block.split('\n').slice(block.split('\n').findIndex((line) => line.trim().startsWith('core/src/')) + 1)
  const named = coreLines.slice(0, coreLines.findIndex((line) => !/^ {4}\S/.test(line) && !/^ {5,}/.test(line))).map((line) => /^ {4}(\S+)/.exec(line)?.[1]).filter((name): name is string => name !== undefined)
  const src = join(repo, 'packages', 'core', 'src')

  it('names only files and folders that exist', () => {
    expect(named.length).toBeGreaterThan(20)
    expect(named.filter((name) => !exists(join(src, name)))).toEqual([])
  })

  it('names every file of packages/core/src, or its folder', () => {
    const unnamed = tsFiles(src)
      .map((file) => fromRepo(file).replace('packages/core/src/', ''))
      .filter((file) => !named.includes(file) && !named.some((name) => name.endsWith('/') && file.startsWith(name)))
    expect(unnamed).toEqual([])
  })
})

describe('the index and the links', () => {
  it('docs/README.md links every page of docs/ exactly once in its table', () => {
    const index = readFileSync(join(repo, 'docs', 'README.md'), 'utf8')
    const linked = [...index.matchAll(/^\| \[[^\]]+\]\(([\w-]+\.md)\)/gm)].map((match) => match[1]!)
    const pagesOfDocs = readdirSync(join(repo, 'docs')).filter((name) => name.endsWith('.md') && name !== 'README.md').sort()
    expect([...linked].sort()).toEqual(pagesOfDocs)
  })

  it('every relative link names an existing file, and every #anchor a heading of it', () => {
    const broken: string[] = []
    for (const page of docs) {
      const text = withoutCodeBlocks(page.text)
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!
        if (/^[a-z]+:/.test(target)) continue
        const [file, anchor] = target.split('#')
        const path = file ? resolve(join(repo, dirname(page.path)), file) : join(repo, page.path)
        const at = `${page.path}:${lineOf(page.text, match.index)}: ${target}`
        if (!exists(path)) broken.push(`${at} (no such file)`)
        else if (anchor && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(anchor)) broken.push(`${at} (no such heading)`)
      }
    }
    expect(broken).toEqual([])
  })
})
