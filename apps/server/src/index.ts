export { createApp } from './app.ts'
export type { AppOptions, WardenApp } from './app.ts'
export { ConfigError, parseConfig } from './config.ts'
export type { Config } from './config.ts'
export { createLogger } from './logger.ts'
export type { Logger, LogLevel } from './logger.ts'
export { startWarden } from './start-warden.ts'
export type { Warden } from './start-warden.ts'
export { createLowPriorityLane } from './http/low-priority-lane.ts'
export type { LowPriorityLane } from './http/low-priority-lane.ts'
export { MAX_BATCH_SIZE, MAX_BODY_BYTES } from './http/trpc.ts'
export {
  JWKS_MAX_AGE_SECONDS,
  KeyRotationError,
  planKeyRotation,
  reloadSigningKeysOnSignal,
  retiredKeyLifetime,
  rotateKeyFile,
  STAGE_WAIT_SECONDS,
  watchSigningKeyFile,
} from './signing-keys.ts'
export type {
  KeyRotationErrorCode,
  KeyRotationOptions,
  KeyRotationResult,
  KeyRotationStep,
  SigningKeysReload,
} from './signing-keys.ts'
