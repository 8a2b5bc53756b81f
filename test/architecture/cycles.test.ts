import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// The import graph of each package's src/, read with the TypeScript compiler's own scanner
// (`ts.preProcessFile`): every `import`, `import type`, `export ... from`, `import()` and
// `require()`. A type-only import is an edge like any other: a cycle of types is still a cycle a
// reader has to untangle.

const repo = fileURLToPath(new URL('../..', import.meta.url))
const packagesDir = join(repo, 'packages')
const SOURCE = /\.(ts|tsx|mts|cts)$/

type Graph = Map<string, string[]>

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return SOURCE.test(name) ? [path] : []
  })
}

/** The file a relative specifier names, as TypeScript resolves it (`./x` -> x.ts or x/index.ts; `./x.js` -> x.ts). */
function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const base = resolve(dirname(from), specifier)
  const bare = base.replace(/\.(m|c)?jsx?$/, '')
  const candidates = [base, ...['.ts', '.tsx', '.mts', '.cts', '/index.ts', '/index.tsx'].map((ending) => bare + ending)]
  return candidates.find((candidate) => files.has(candidate))
}

/** file -> the files of the same src/ it imports; `unresolved` lists relative specifiers that name no file there. */
function importGraph(srcDir: string): { graph: Graph; unresolved: string[] } {
  const files = sourceFiles(srcDir)
  const known = new Set(files)
  const graph: Graph = new Map()
  const unresolved: string[] = []
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = new Set<string>()
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue // a package or a node: builtin
      const target = resolveSpecifier(file, fileName, known)
      if (target === undefined) unresolved.push(`${rel(file)}: ${fileName}`)
      else targets.add(target)
    }
    graph.set(file, [...targets])
  }
  return { graph, unresolved }
}

const rel = (file: string) => relative(repo, file)

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function circles(graph: Graph): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (file: string): void => {
    index.set(file, next)
    low.set(file, next++)
    stack.push(file)
    onStack.add(file)
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(file, Math.min(low.get(file)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!))
      }
    }
    if (low.get(file) !== index.get(file)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  return found
}

/** One loop through a circle, as `a -> b -> ... -> a` (a shortest one through its first file). */
function loopThrough(graph: Graph, component: string[]): string {
  const members = new Set(component)
  const start = component[0]!
  const previous = new Map<string, string>()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    for (const target of graph.get(queue[i]!) ?? []) {
      if (!members.has(target)) continue
      if (target === start) {
        const path = [start]
        for (let at: string | undefined = queue[i]; at !== undefined && at !== start; at = previous.get(at)) path.unshift(at)
        path.unshift(start)
        return path.map(rel).join(' -> ')
      }
      if (!previous.has(target)) {
        previous.set(target, queue[i]!)
        queue.push(target)
      }
    }
  }
  return component.map(rel).join(', ')
}

function describeCircles(graph: Graph, found: string[][]): string {
  return found
    .map((component, i) => `circle ${i + 1} (${component.length} files):\n  ${component.map(rel).join('\n  ')}\n  loop: ${loopThrough(graph, component)}`)
    .join('\n')
}

const packages = readdirSync(packagesDir).filter((name) => {
  try {
    return statSync(join(packagesDir, name, 'src')).isDirectory()
  } catch {
    return false
  }
})

describe('import cycles', () => {
  it('finds the packages to check', () => {
    expect(packages).toContain('core')
    expect(packages.length).toBeGreaterThan(5)
  })

  it.each(packages)('packages/%s/src has no import cycle (type-only imports included)', (name) => {
    const { graph, unresolved } = importGraph(join(packagesDir, name, 'src'))
    expect(graph.size).toBeGreaterThan(0)
    // Every relative import names a file of the same src/: the graph is whole.
    expect(unresolved).toEqual([])
    const found = circles(graph)
    expect(found.length === 0 ? '' : describeCircles(graph, found)).toBe('')
  })
})

/**
 * The stages of a check, in the order a request meets them. A module of a stage folder may import
 * its own and earlier stages, and the shared files at the top of src/ (types, errors, ...); never a
 * later stage, and never the composition that runs them.
 */
const STAGES = ['request', 'dpop', 'replay', 'cache', 'authlete', 'decision'] as const
/** What composes the stages: guard.ts, the option resolution, the entries, and the endpoints and runtimes built on them. */
const COMPOSITION = ['guard.ts', 'options.ts', 'index.ts', 'unstable.ts', 'authorization-server', 'node', 'kit']

describe('the core stages', () => {
  const coreSrc = join(packagesDir, 'core', 'src')
  const { graph } = importGraph(coreSrc)
  const top = (file: string) => relative(coreSrc, file).split(/[\\/]/)[0]!
  const stageOf = (file: string) => STAGES.indexOf(top(file) as (typeof STAGES)[number])

  it('has a folder for every stage', () => {
    const present = new Set([...graph.keys()].map(top))
    expect(STAGES.filter((stage) => !present.has(stage))).toEqual([])
  })

  it('never imports a later stage or the composition from a stage', () => {
    const wrong: string[] = []
    for (const [file, targets] of graph) {
      const stage = stageOf(file)
      if (stage === -1) continue
      for (const target of targets) {
        const later = stageOf(target) > stage
        if (later || COMPOSITION.includes(top(target))) wrong.push(`${rel(file)} (${STAGES[stage]}) -> ${rel(target)}`)
      }
    }
    expect(wrong).toEqual([])
  })
})
