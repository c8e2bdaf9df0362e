import { randomBytes } from 'node:crypto'

import type { ManualClock } from './fake-time.ts'

/** The codes the contract server fails with (INTERFACE.md, "Challenges and status codes"). */
export type ContractAuthCode =
  | 'missing_token'
  | 'invalid_signature'
  | 'expired_token'
  | 'wrong_audience'
  | 'revoked_token'
  | 'insufficient_scope'
  | 'invalid_credentials'
  | 'invalid_refresh_token'
  | 'refresh_reused'
  | 'refresh_expired'
  | 'refresh_revoked'

export class ContractAuthError extends Error {
  readonly code: ContractAuthCode
  constructor(code: ContractAuthCode) {
    super(code)
    this.code = code
  }
}

export interface ContractConfig {
  readonly issuer: string
  readonly audience: string
  readonly accessTokenTtlMs: number
  readonly refreshTokenTtlMs: number
  readonly refreshReuseIntervalMs: number
  readonly allowedOrigins: readonly string[]
}

export interface AccessRecord {
  readonly token: string
  readonly sub: string
  readonly clientId: string
  readonly audience: string
  readonly roles: readonly string[]
  readonly scope: string
  readonly tenantId: string | null
  readonly issuedAt: number
  readonly expiresAt: number
}

interface UserRecord {
  readonly id: string
  readonly email: string
  readonly password: string
  readonly roles: readonly string[]
  readonly tenantId: string
}

interface RefreshRecord {
  readonly familyId: string
  readonly userId: string
  readonly expiresAt: number
  usedAt?: number
  successor?: string
}

interface ServiceClientRecord {
  readonly secret: string
  readonly audiences: readonly string[]
  readonly scope: string
}

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`

/**
 * The contract server's memory: users, opaque access tokens, refresh-token families with
 * rotation, reuse detection and a reuse interval, OAuth clients. Opaque tokens are enough here:
 * the client must treat access tokens as opaque, and this keeps the fake honest about that.
 */
export class ContractState {
  readonly config: ContractConfig
  readonly clock: ManualClock
  private readonly users = new Map<string, UserRecord>()
  private readonly access = new Map<string, AccessRecord>()
  private readonly revokedAccess = new Set<string>()
  private readonly revokedBefore = new Map<string, number>()
  private readonly refresh = new Map<string, RefreshRecord>()
  private readonly revokedFamilies = new Set<string>()
  private readonly clients = new Map<string, ServiceClientRecord>()
  private readonly projectsByTenant = new Map<string, { id: string; name: string }[]>()
  private nextId = 1

  constructor(config: ContractConfig, clock: ManualClock) {
    this.config = config
    this.clock = clock
  }

  register(email: string, password: string, roles: readonly string[] = ['member']) {
    if ([...this.users.values()].some((user) => user.email === email)) return undefined
    const user: UserRecord = {
      id: `user_${this.nextId++}`,
      email,
      password,
      roles,
      tenantId: `tenant_${this.nextId++}`,
    }
    this.users.set(user.id, user)
    return user
  }

  addServiceClient(clientId: string, record: ServiceClientRecord): void {
    this.clients.set(clientId, record)
  }

  serviceClient(clientId: string): ServiceClientRecord | undefined {
    return this.clients.get(clientId)
  }

  issueAccessToken(claims: Omit<AccessRecord, 'token' | 'issuedAt' | 'expiresAt'>): AccessRecord {
    const now = this.clock.now()
    const record: AccessRecord = {
      ...claims,
      token: token('at_'),
      issuedAt: now,
      expiresAt: now + this.config.accessTokenTtlMs,
    }
    this.access.set(record.token, record)
    return record
  }

  private issueForUser(user: UserRecord, refreshToken: string) {
    const access = this.issueAccessToken({
      sub: user.id,
      clientId: 'warden-web',
      audience: this.config.audience,
      roles: user.roles,
      scope: '',
      tenantId: user.tenantId,
    })
    return {
      accessToken: access.token,
      expiresIn: Math.round(this.config.accessTokenTtlMs / 1000),
      refreshToken,
    }
  }

  private newRefreshToken(familyId: string, userId: string): string {
    const value = token('wrt_')
    this.refresh.set(value, {
      familyId,
      userId,
      expiresAt: this.clock.now() + this.config.refreshTokenTtlMs,
    })
    return value
  }

  login(email: string, password: string) {
    const user = [...this.users.values()].find((candidate) => candidate.email === email)
    if (user?.password !== password) return undefined
    return this.issueForUser(user, this.newRefreshToken(`family_${this.nextId++}`, user.id))
  }

  /** Rotation with reuse detection (INTERFACE.md `REFRESH_REUSE_INTERVAL`). */
  rotate(presented: string) {
    const record = this.refresh.get(presented)
    if (record === undefined) return 'invalid_refresh_token' as const
    if (this.revokedFamilies.has(record.familyId)) return 'refresh_revoked' as const
    const now = this.clock.now()
    if (now >= record.expiresAt) return 'refresh_expired' as const
    const user = this.users.get(record.userId)
    if (user === undefined) return 'invalid_refresh_token' as const
    if (record.usedAt !== undefined && record.successor !== undefined) {
      if (now - record.usedAt <= this.config.refreshReuseIntervalMs) {
        return this.issueForUser(user, record.successor)
      }
      this.revokedFamilies.add(record.familyId)
      return 'refresh_reused' as const
    }
    record.usedAt = now
    record.successor = this.newRefreshToken(record.familyId, record.userId)
    return this.issueForUser(user, record.successor)
  }

  verifyAccessToken(value: string): AccessRecord | ContractAuthCode {
    const record = this.access.get(value)
    if (record === undefined) return 'invalid_signature'
    if (record.audience !== this.config.audience) return 'wrong_audience'
    if (this.clock.now() >= record.expiresAt) return 'expired_token'
    const cutOff = this.revokedBefore.get(record.sub)
    if (this.revokedAccess.has(value) || (cutOff !== undefined && record.issuedAt <= cutOff)) {
      return 'revoked_token'
    }
    return record
  }

  logout(access: AccessRecord, refreshToken: string | undefined): void {
    this.revokedAccess.add(access.token)
    const record = refreshToken === undefined ? undefined : this.refresh.get(refreshToken)
    if (record?.userId === access.sub) this.revokedFamilies.add(record.familyId)
  }

  logoutAll(userId: string): void {
    this.revokedBefore.set(userId, this.clock.now())
    for (const record of this.refresh.values()) {
      if (record.userId === userId) this.revokedFamilies.add(record.familyId)
    }
  }

  projects(tenantId: string | null) {
    return tenantId === null ? [] : (this.projectsByTenant.get(tenantId) ?? [])
  }

  createProject(tenantId: string | null, name: string) {
    if (tenantId === null) throw new Error('Services have no tenant')
    const project = { id: `project_${this.nextId++}`, name }
    this.projectsByTenant.set(tenantId, [...this.projects(tenantId), project])
    return project
  }
}
