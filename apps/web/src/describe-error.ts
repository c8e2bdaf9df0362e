import { authErrorOf, WardenClientError } from '@warden/client'

/** A failed call, as the page shows it. */
export interface ErrorView {
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined
  readonly text: string
}

function errorData(
  error: unknown,
): { code?: unknown; httpStatus?: unknown; retryAfter?: unknown } | undefined {
  if (typeof error !== 'object' || error === null || !('data' in error)) return undefined
  const data: unknown = error.data
  return typeof data === 'object' && data !== null ? data : undefined
}

/** tRPC reports an input validation failure as the JSON text of the validator's issues. */
function firstIssue(message: string): string | undefined {
  if (!message.startsWith('[')) return undefined
  try {
    const issues: unknown = JSON.parse(message)
    if (!Array.isArray(issues)) return undefined
    const first: unknown = issues[0]
    if (typeof first !== 'object' || first === null || !('message' in first)) return undefined
    const path = 'path' in first && Array.isArray(first.path) ? first.path.join('.') : ''
    const text = typeof first.message === 'string' ? first.message : 'invalid'
    return path === '' ? text : `${path}: ${text}`
  } catch {
    return undefined
  }
}

const WEAK_PASSWORD_TEXT: Readonly<Record<string, string>> = {
  too_short: 'That password is too short: use at least 12 characters.',
  too_long: 'That password is too long: use at most 256 characters.',
  common: 'That password is on lists of breached passwords; choose another.',
  contains_context: 'That password contains your name or email; choose another.',
}

/** `auth.register` says `Password refused: <reason>`, with the policy's reason code. */
function weakPasswordText(message: string): string {
  const reason = /:\s*(\w+)\s*$/.exec(message)?.[1]
  return (reason === undefined ? undefined : WEAK_PASSWORD_TEXT[reason]) ?? message
}

const AUTH_TEXT: Readonly<Record<string, string>> = {
  invalid_credentials: 'Wrong email or password.',
  rate_limited: 'Too many attempts; wait a little and try again.',
  overloaded: 'The server is busy; try again in a moment.',
}

/**
 * Turns a rejected call into words. A refusal names the server's status and codes (a forced
 * visit to the admin page reads `Refused by the server (403 FORBIDDEN · insufficient_scope)`),
 * sign-in failures say what to do, an ended session says so, and a failure without an answer
 * says the server could not be reached.
 */
export function describeError(error: unknown): ErrorView {
  if (error instanceof WardenClientError) {
    switch (error.code) {
      case 'session_expired':
      case 'not_authenticated':
        return { status: error.status, text: 'Your session has ended; please sign in again.' }
      case 'refresh_failed':
        return {
          status: error.status,
          text: 'The session could not be renewed just now; try again.',
        }
      case 'invalid_response':
      case 'token_request_failed':
        return { status: error.status, text: 'The server answered unexpectedly; try again.' }
    }
  }
  const message = error instanceof Error ? error.message : ''
  const data = errorData(error)
  const status = typeof data?.httpStatus === 'number' ? data.httpStatus : undefined
  if (status === undefined) {
    const cause = error instanceof Error ? error.cause : undefined
    if (error instanceof TypeError || cause instanceof TypeError) {
      return { status, text: 'The server could not be reached; check the connection.' }
    }
    return { status, text: message === '' ? 'Something went wrong; try again.' : message }
  }
  const code = typeof data?.code === 'string' ? data.code : undefined
  const auth = authErrorOf(error)
  if (auth === 'rate_limited' && typeof data?.retryAfter === 'number') {
    return { status, text: `Too many attempts; try again in ${data.retryAfter} s.` }
  }
  const known = auth === undefined ? undefined : AUTH_TEXT[auth]
  if (known !== undefined) return { status, text: known }
  if (auth === 'weak_password') return { status, text: weakPasswordText(message) }
  if (code === 'CONFLICT') return { status, text: message }
  if (code === 'BAD_REQUEST') {
    return { status, text: `Check the form: ${firstIssue(message) ?? message}` }
  }
  const detail = [code, auth].filter((part) => part !== undefined).join(' · ')
  return {
    status,
    text: `Refused by the server (${status} ${detail})${message === '' ? '' : `: ${message}`}`,
  }
}
