import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'

import ts from 'typescript'
import { describe, expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')
const srcDir = join(root, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const files = sourceFiles(srcDir).map((path) => ({
  name: relative(root, path),
  source: ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true),
}))

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

function findings(visit: (node: ts.Node) => string | undefined): string[] {
  const found: string[] = []
  for (const { name, source } of files) {
    const walk = (node: ts.Node) => {
      const problem = visit(node)
      if (problem !== undefined) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart())
        found.push(`${name}:${line + 1} ${problem}`)
      }
      ts.forEachChild(node, walk)
    }
    walk(source)
  }
  return found
}

describe('src runs unchanged in Node, Bun and browsers', () => {
  test('there are source files to check', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  test('no Node built-in module is imported (node: or bare), statically or dynamically', () => {
    const imports = findings((node) => {
      const specifier =
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier !== undefined &&
        ts.isStringLiteral(node.moduleSpecifier)
          ? node.moduleSpecifier.text
          : ts.isCallExpression(node) &&
              (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
                (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
              node.arguments[0] !== undefined &&
              ts.isStringLiteral(node.arguments[0])
            ? node.arguments[0].text
            : undefined
      return specifier !== undefined &&
        (nodeBuiltins.has(specifier) || specifier.startsWith('node:'))
        ? `imports ${specifier}`
        : undefined
    })
    expect(imports).toEqual([])
  })

  test('no Buffer, process, require, __dirname or global (Node-only globals)', () => {
    const nodeGlobals = new Set([
      'Buffer',
      'process',
      'require',
      '__dirname',
      '__filename',
      'global',
    ])
    const uses = findings((node) => {
      if (!ts.isIdentifier(node) || !nodeGlobals.has(node.text)) return undefined
      // A property named like a global (`x.process`) is not the global.
      const parent = node.parent
      if (ts.isPropertyAccessExpression(parent) && parent.name === node) return undefined
      return `uses ${node.text}`
    })
    expect(uses).toEqual([])
  })

  test('no top-level side effects: modules only declare', () => {
    const statements = files.flatMap(({ name, source }) =>
      source.statements
        .filter(
          (statement) =>
            !ts.isImportDeclaration(statement) &&
            !ts.isExportDeclaration(statement) &&
            !ts.isFunctionDeclaration(statement) &&
            !ts.isClassDeclaration(statement) &&
            !ts.isInterfaceDeclaration(statement) &&
            !ts.isTypeAliasDeclaration(statement) &&
            !ts.isVariableStatement(statement),
        )
        .map((statement) => `${name}: ${statement.getText().slice(0, 60)}`),
    )
    expect(statements).toEqual([])
  })

  test('index.ts names every export (no export *)', () => {
    const index = files.find((file) => file.name === join('src', 'index.ts'))
    expect(index).toBeDefined()
    const starExports = index?.source.statements.filter(
      (statement) => ts.isExportDeclaration(statement) && statement.exportClause === undefined,
    )
    expect(starExports).toEqual([])
  })

  test('package.json declares an ESM package without side effects', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(manifest).toMatchObject({
      type: 'module',
      sideEffects: false,
      exports: { '.': './src/index.ts' },
    })
  })
})
