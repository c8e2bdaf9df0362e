import { adminRouter } from './router/admin.ts'
import { authRouter } from './router/auth.ts'
import { invoicesRouter } from './router/invoices.ts'
import { projectsRouter } from './router/projects.ts'
import { systemRouter } from './router/system.ts'
import { createRouter } from './trpc.ts'

/** Warden's tRPC router: the procedures of INTERFACE.md. */
export const appRouter = createRouter({
  system: systemRouter,
  auth: authRouter,
  projects: projectsRouter,
  invoices: invoicesRouter,
  admin: adminRouter,
})

/** The router's type, for `@warden/client`: import it with `import type`. */
export type AppRouter = typeof appRouter
