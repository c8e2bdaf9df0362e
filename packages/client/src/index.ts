export { authErrorOf } from './auth-error-of.ts'
export { authLink } from './auth-link.ts'
export type { AuthLinkOptions, SessionStore } from './auth-link.ts'
export { createServiceClient } from './create-service-client.ts'
export type { ServiceClient, ServiceClientOptions } from './create-service-client.ts'
export { createWardenClient } from './create-warden-client.ts'
export type {
  LoginInput,
  LogoutResult,
  RegisteredUser,
  RegisterInput,
  SessionSnapshot,
  WardenClient,
  WardenClientOptions,
  WardenSession,
} from './create-warden-client.ts'
export type {
  BroadcastChannelLike,
  ChannelListener,
  CrossTabOptions,
  LockManagerLike,
} from './cross-tab-options.ts'
export { memoryStorage } from './memory-storage.ts'
export type { StoredTokens, TokenStorage } from './memory-storage.ts'
export type { Clock, Timers } from './timers.ts'
export { WardenClientError } from './warden-client-error.ts'
export type { WardenClientErrorCode } from './warden-client-error.ts'
