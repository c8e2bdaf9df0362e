export { appRouter } from './root.ts'
export type { AppRouter } from './root.ts'

export { createContext, parseAuthorization } from './context.ts'
export type { AuthenticatedContext, AuthState, Context } from './context.ts'

export {
  authorize,
  createCallerFactory,
  denyUndeclared,
  protectedProcedure,
  publicProcedure,
} from './trpc.ts'
export type { Access, ProcedureMeta, WardenErrorData } from './trpc.ts'

export { policies } from './policies.ts'
export {
  FIRST_PARTY_CLIENT_ID,
  ROLES,
  scopeForRoles,
  USER_SERVICE_AUDIENCES,
  userScopeFor,
  userScopesOffered,
} from './scopes.ts'
export type { Role } from './scopes.ts'

export { createRevocationList } from './revocation-list.ts'
export type { RevocationList } from './revocation-list.ts'

export { accountKeyOf, createLoginCheck } from './flows/login.ts'
export type { LoginCheck } from './flows/login.ts'
export { rotateSession, startUserSession } from './flows/sessions.ts'
export type { TokenPair } from './flows/sessions.ts'

export { responseHeadersFor } from './response-meta.ts'
export { authErrorOf, toTRPCError } from './errors.ts'
export { formatWardenError } from './error-formatter.ts'

export type { RefreshCookie, RequestMeta } from './request.ts'
export type { ApiConfig, ApiServices, Logger } from './services.ts'
