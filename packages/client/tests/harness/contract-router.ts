import { initTRPC, TRPCError } from '@trpc/server'

import { ContractAuthError, type AccessRecord, type ContractState } from './contract-state.ts'

/**
 * A small tRPC v11 router speaking Warden's wire contract (INTERFACE.md): the procedures the
 * client uses, with the same names, inputs, outputs, error codes and challenges. Its type stands
 * in for `AppRouter` until `packages/api` is ready.
 */
export interface ContractContext {
  readonly state: ContractState
  readonly req: Request
  readonly resHeaders: Headers
}

const t = initTRPC.context<ContractContext>().create({
  errorFormatter({ shape, error }) {
    const { stack: _stack, ...data } = shape.data
    return {
      ...shape,
      data:
        error.cause instanceof ContractAuthError ? { ...data, authError: error.cause.code } : data,
    }
  },
})

const authFailure = (code: ConstructorParameters<typeof ContractAuthError>[0]) =>
  new TRPCError({
    code: code === 'insufficient_scope' ? 'FORBIDDEN' : 'UNAUTHORIZED',
    message: code,
    cause: new ContractAuthError(code),
  })

function parser<T>(check: (input: Record<string, unknown>) => T) {
  return (input: unknown): T => {
    if (typeof input !== 'object' || input === null) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'An object is expected' })
    }
    return check(input as Record<string, unknown>)
  }
}

function text(input: Record<string, unknown>, key: string): string {
  const value = input[key]
  if (typeof value !== 'string' || value === '') {
    throw new TRPCError({ code: 'BAD_REQUEST', message: `${key} must be a string` })
  }
  return value
}

function optionalText(input: Record<string, unknown>, key: string): string | undefined {
  return input[key] === undefined ? undefined : text(input, key)
}

function refreshInput(input: Record<string, unknown>): { refreshToken?: string } {
  const refreshToken = optionalText(input, 'refreshToken')
  return refreshToken === undefined ? {} : { refreshToken }
}

const REFRESH_COOKIE = 'warden_refresh'

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

const authenticated = t.procedure.use(({ ctx, next }) => {
  const header = ctx.req.headers.get('authorization')
  const match = header === null ? null : /^Bearer ([^\s]+)$/i.exec(header)
  if (match?.[1] === undefined) throw authFailure('missing_token')
  const result = ctx.state.verifyAccessToken(match[1])
  if (typeof result === 'string') throw authFailure(result)
  return next({ ctx: { ...ctx, access: result } })
})

const inRole = (...roles: string[]) =>
  authenticated.use(({ ctx, next }) => {
    if (!ctx.access.roles.some((role) => roles.includes(role)))
      throw authFailure('insufficient_scope')
    return next()
  })

// The server checks Origin on mutations authenticated by the refresh cookie (CSRF defence).
function checkCookieOrigin(ctx: ContractContext): void {
  const origin = ctx.req.headers.get('origin')
  if (origin === null || !ctx.state.config.allowedOrigins.includes(origin)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Origin not allowed' })
  }
}

function tokenAnswer(
  ctx: ContractContext,
  issued: { accessToken: string; expiresIn: number; refreshToken: string },
  transport: 'bearer' | 'cookie',
) {
  if (transport === 'cookie') {
    ctx.resHeaders.append(
      'set-cookie',
      `${REFRESH_COOKIE}=${issued.refreshToken}; HttpOnly; Secure; SameSite=Strict; Path=/trpc`,
    )
    return {
      accessToken: issued.accessToken,
      tokenType: 'Bearer' as const,
      expiresIn: issued.expiresIn,
    }
  }
  return {
    accessToken: issued.accessToken,
    tokenType: 'Bearer' as const,
    expiresIn: issued.expiresIn,
    refreshToken: issued.refreshToken,
  }
}

const whoami = (access: AccessRecord) => ({
  sub: access.sub,
  clientId: access.clientId,
  roles: access.roles,
  scope: access.scope,
  tenantId: access.tenantId,
  expiresAt: Math.floor(access.expiresAt / 1000),
})

export const contractRouter = t.router({
  system: t.router({
    info: t.procedure.query(({ ctx }) => ({
      name: 'warden' as const,
      version: '0.0.0-contract',
      issuer: ctx.state.config.issuer,
    })),
    whoami: authenticated.query(({ ctx }) => whoami(ctx.access)),
  }),
  auth: t.router({
    register: t.procedure
      .input(
        parser((input): { email: string; password: string; name?: string } => {
          const name = optionalText(input, 'name')
          return {
            email: text(input, 'email'),
            password: text(input, 'password'),
            ...(name === undefined ? {} : { name }),
          }
        }),
      )
      .mutation(({ ctx, input }) => {
        const user = ctx.state.register(input.email, input.password)
        if (user === undefined) throw new TRPCError({ code: 'CONFLICT', message: 'Email taken' })
        return { user: { id: user.id, email: user.email } }
      }),
    login: t.procedure
      .input(
        parser((input): { email: string; password: string; transport?: 'bearer' | 'cookie' } => {
          const transport = input['transport']
          if (transport !== undefined && transport !== 'bearer' && transport !== 'cookie') {
            throw new TRPCError({ code: 'BAD_REQUEST', message: 'transport' })
          }
          return {
            email: text(input, 'email'),
            password: text(input, 'password'),
            ...(transport === undefined ? {} : { transport }),
          }
        }),
      )
      .mutation(({ ctx, input }) => {
        // Login CSRF: a cookie-transport login comes from an allowed origin too.
        if (input.transport === 'cookie') checkCookieOrigin(ctx)
        const issued = ctx.state.login(input.email, input.password)
        if (issued === undefined) {
          throw new TRPCError({
            code: 'UNAUTHORIZED',
            message: 'Wrong email or password',
            cause: new ContractAuthError('invalid_credentials'),
          })
        }
        return tokenAnswer(ctx, issued, input.transport ?? 'bearer')
      }),
    refresh: t.procedure.input(parser(refreshInput)).mutation(({ ctx, input }) => {
      let presented = input.refreshToken
      const fromCookie = presented === undefined
      if (fromCookie) {
        checkCookieOrigin(ctx)
        presented = cookieOf(ctx.req, REFRESH_COOKIE)
      }
      if (presented === undefined) throw authFailure('invalid_refresh_token')
      const result = ctx.state.rotate(presented)
      if (typeof result === 'string') {
        if (fromCookie) {
          ctx.resHeaders.append('set-cookie', `${REFRESH_COOKIE}=; Max-Age=0; Path=/trpc`)
        }
        throw authFailure(result)
      }
      return tokenAnswer(ctx, result, fromCookie ? 'cookie' : 'bearer')
    }),
    logout: authenticated.input(parser(refreshInput)).mutation(({ ctx, input }) => {
      let presented = input.refreshToken
      if (presented === undefined) {
        presented = cookieOf(ctx.req, REFRESH_COOKIE)
        if (presented !== undefined) checkCookieOrigin(ctx)
        ctx.resHeaders.append('set-cookie', `${REFRESH_COOKIE}=; Max-Age=0; Path=/trpc`)
      }
      ctx.state.logout(ctx.access, presented)
      return { ok: true as const }
    }),
    logoutAll: authenticated.mutation(({ ctx }) => {
      ctx.state.logoutAll(ctx.access.sub)
      return { ok: true as const }
    }),
  }),
  projects: t.router({
    list: authenticated.query(({ ctx }) => ctx.state.projects(ctx.access.tenantId)),
    get: authenticated
      .input(parser((input) => ({ id: text(input, 'id') })))
      .query(({ ctx, input }) => {
        const project = ctx.state
          .projects(ctx.access.tenantId)
          .find((candidate) => candidate.id === input.id)
        if (project === undefined) throw new TRPCError({ code: 'NOT_FOUND', message: 'No project' })
        return project
      }),
    create: authenticated
      .input(parser((input) => ({ name: text(input, 'name') })))
      .mutation(({ ctx, input }) => ctx.state.createProject(ctx.access.tenantId, input.name)),
    delete: inRole('manager', 'admin')
      .input(parser((input) => ({ id: text(input, 'id') })))
      .mutation(({ input }) => ({ id: input.id })),
  }),
})

/** The type a client of the contract server is built with. */
export type ContractRouter = typeof contractRouter
