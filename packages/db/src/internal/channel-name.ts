const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * LISTEN takes an identifier, not a parameter, and PGlite splices it into its SQL unquoted and
 * folds its case: accepting only lower-case identifiers keeps both backends safe and identical.
 */
export function assertChannelName(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) {
    throw new TypeError('A channel name is a lower-case SQL identifier: [a-z_][a-z0-9_]{0,62}')
  }
}
