/*
 * Builds the Node entries (`src/main.node.ts`, the server; `src/cli.ts`, the `warden` CLI) into
 * `dist/` as ES modules: what `pnpm start` runs, and what production should run. Running the
 * sources under tsx works too, but costs a module-loader thread, the TypeScript transform at
 * every start and its caches (about 7 MB of live heap and 30 MB of RSS under load), a wrapper
 * around every function that keeps its name, and a `tsx` process in front of the server that
 * does not pass `SIGHUP` on.
 *
 * - The workspace packages and the pure-JavaScript dependencies are bundled in.
 * - Left outside, and resolved from `apps/server/node_modules` at run time: the packages with a
 *   native or WebAssembly part (`@node-rs/argon2`, `@electric-sql/pglite`), pg's optional
 *   `pg-native`, and the data files the packages read by name (the common-password list of
 *   `@warden/auth`).
 * - `dist/` sits beside `src/`, at the same depth, so paths the sources take relative to their
 *   own file (the web app's default folder) hold in the bundle too.
 * - No minification, and source maps, so that stack traces name the sources (`pnpm start` runs
 *   Node with `--enable-source-maps`, one of `NODE_FLAGS`).
 *
 * Bun runs `src/main.bun.ts` as is; it needs no build.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url))

/**
 * The flags Node runs the build with: `pnpm start`'s command, the bench's and the entry tests'
 * (a test holds `package.json` to this list).
 * - `--enable-source-maps`: stack traces name the sources.
 * - `--max-old-space-size=1536`: with no limit given, V8 sizes the heap from the machine's memory
 *   (4144 MB on this 24 GB machine) and lets the old generation grow to up to 4× what survived the
 *   last full collection before it collects again; below a 2 GB limit it allows less (Node 20's
 *   `--trace-gc-verbose` prints `[HeapController] factor 4.0` without the flag, 1.8 with it).
 *   The server lives on about 45 MB, so this bounds its RSS (goal 6 of the bench: a peak of 276
 *   MB became 179 MB, and the run was no slower) and still leaves 30 times the heap it needs.
 */
export const NODE_FLAGS = ['--enable-source-maps', '--max-old-space-size=1536'] as const

/** Packages that stay outside the bundle (each a dependency of `@warden/server`, or optional). */
const EXTERNAL = ['@node-rs/argon2', '@electric-sql/pglite', 'pg-native']

/**
 * Bundles the entries into `outdir` (default `apps/server/dist`), replacing what is there.
 * `outdir` must be a folder directly inside `apps/server`, for the reasons above.
 */
export async function buildServer(outdir = join(SERVER_DIR, 'dist')): Promise<void> {
  await rm(outdir, { recursive: true, force: true })
  await build({
    entryPoints: {
      'main.node': join(SERVER_DIR, 'src/main.node.ts'),
      cli: join(SERVER_DIR, 'src/cli.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    external: EXTERNAL,
    // CommonJS dependencies (pg) call `require` for Node's modules; an ES module has none.
    banner: {
      js: "import { createRequire as __wardenCreateRequire } from 'node:module'; const require = __wardenCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildServer()
}
