import { defineConfig, loadEnv } from 'vite'

// Development: `pnpm --filter @warden/web dev` serves the app with Vite and forwards the API's
// paths to a running Warden (WARDEN_API_URL, default http://127.0.0.1:3000). The Host header is
// kept (no changeOrigin), so the server sees the page's own origin and its Origin check and the
// SameSite=Strict cookie work as they do in production, where the server serves `dist/` itself.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), 'WARDEN_')
  const target = env['WARDEN_API_URL'] ?? 'http://127.0.0.1:3000'
  return {
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2022',
      // Every asset is a file of this origin: nothing inlined as a data: URL.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
    },
    server: {
      host: 'localhost',
      port: 5173,
      strictPort: true,
      proxy: {
        '/trpc': { target },
        '/.well-known': { target },
      },
    },
  }
})
