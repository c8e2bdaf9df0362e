/** Why a key set was refused at load. */
export type KeySetErrorCode =
  | 'invalid_key_set'
  | 'missing_kid'
  | 'duplicate_kid'
  | 'missing_alg'
  | 'unsupported_key'
  | 'weak_key'
  | 'no_signing_key'

/**
 * A configuration problem with signing keys, thrown when a key set is loaded (at boot), never
 * per request. The message names the key by `kid`, or by its index when it has none.
 */
export class KeySetError extends Error {
  override readonly name = 'KeySetError'
  readonly code: KeySetErrorCode
  declare readonly kid?: string

  constructor(
    code: KeySetErrorCode,
    message: string,
    options?: { kid?: string | undefined; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options?.kid !== undefined) this.kid = options.kid
  }
}
