import { getErrorShape, getTRPCErrorFromUnknown, TRPCError, type AnyProcedure } from '@trpc/server'
import {
  getHTTPStatusCodeFromError,
  resolveResponse,
  type HTTPErrorHandler,
} from '@trpc/server/http'
import type { Context as HonoContext } from 'hono'

import {
  appRouter,
  authErrorOf,
  createContext,
  responseHeadersFor,
  type ApiServices,
  type Context,
  type ProcedureMeta,
  type RefreshCookie,
  type RequestMeta,
} from '@warden/api'
import { withoutStackTrace, type AuthErrorCode } from '@warden/auth'

import type { Config } from '../config.ts'
import type { AppEnv } from './app-env.ts'
import { serializeOncePerFrozenValue } from './frozen-json.ts'
import type { LowPriorityLane } from './low-priority-lane.ts'
import { clientIp, createRefreshCookie, isOriginAllowed, isSecureRequest } from './request-meta.ts'

/** Largest tRPC batch accepted; every call of a batch counts (a batch of logins is N attempts). */
export const MAX_BATCH_SIZE = 50

/**
 * Largest request body accepted, in bytes (100 KiB, the default of Express's `json()` and Hono's
 * `bodyLimit`): a batch of 50 logins takes a few KiB, and a login's input is at most 1,024
 * characters of password and 254 of e-mail. Larger bodies are answered 413 `PAYLOAD_TOO_LARGE`
 * before they are read (by their `Content-Length`) or as soon as they pass the limit (a chunked
 * body), so that no one can make the server hold megabytes per request.
 */
export const MAX_BODY_BYTES = 100 * 1024

const ENDPOINT = '/trpc'
// What resolveResponse sets on every JSON answer, before the responseMeta headers.
const RESPONSE_HEADERS = { vary: 'trpc-accept, accept', 'content-type': 'application/json' }
const routerConfig = appRouter._def._config
// tRPC types `_def.procedures` as the nested router record; at run time it is the flat map from
// dotted path to procedure that tRPC's own `getProcedureAtPath` reads.
const procedures = appRouter._def.procedures as unknown as Readonly<
  Record<string, AnyProcedure | undefined>
>
// Lazily loaded sub-routers would have to be loaded before a lookup: tRPC's path only, then.
const hasLazyRouters = Object.keys(appRouter._def.lazy).length > 0
// The procedures whose meta says `priority: 'low'` (password work).
const lowPriority = new Set(
  Object.entries(procedures)
    .filter(
      ([, procedure]) => (procedure?._def.meta as ProcedureMeta | undefined)?.priority === 'low',
    )
    .map(([path]) => path),
)

type SocketAddress = (c: HonoContext<AppEnv>) => string | undefined

/**
 * One `/trpc` request: the request details the procedures may see, each read from the request
 * when a procedure first asks for it (`system.info` needs none of it, `system.whoami` only the
 * `Authorization` header and the URL), the `Set-Cookie` values they add, and the context.
 */
class TrpcExchange implements RequestMeta {
  readonly #c: HonoContext<AppEnv>
  readonly #config: Config
  readonly #socketAddress: SocketAddress
  #ip: string | undefined
  #tokenInUrl: boolean | undefined
  #originAllowed: boolean | undefined
  #refreshCookie: RefreshCookie | undefined
  cookies: string[] | undefined
  context: Context | undefined
  /** The first auth failure among the calls' errors (a refused refresh or login), for the log. */
  callAuthError: AuthErrorCode | undefined

  constructor(c: HonoContext<AppEnv>, config: Config, socketAddress: SocketAddress) {
    this.#c = c
    this.#config = config
    this.#socketAddress = socketAddress
  }

  get ip(): string {
    return (this.#ip ??= clientIp(this.#c, this.#config, this.#socketAddress(this.#c)))
  }
  get userAgent(): string | undefined {
    return this.#c.req.header('user-agent')
  }
  get authorization(): string | null {
    return this.#c.req.raw.headers.get('authorization')
  }
  get tokenInUrl(): boolean {
    return (this.#tokenInUrl ??= hasTokenInUrl(this.#c.req.raw.url))
  }
  get originAllowed(): boolean {
    return (this.#originAllowed ??= isOriginAllowed(this.#c, this.#config))
  }
  get refreshCookie(): RefreshCookie {
    return (this.#refreshCookie ??= createRefreshCookie({
      secure: isSecureRequest(this.#c, this.#config),
      cookieHeader: this.#c.req.header('cookie'),
      appendSetCookie: (value) => (this.cookies ??= []).push(value),
    }))
  }

  /** The headers the calls' errors and cookies add to the response (tRPC's `responseMeta`). */
  headersFor(errors: readonly TRPCError[]): Record<string, string> | Headers {
    for (const error of errors) this.callAuthError ??= authErrorOf(error)?.code
    const headers = responseHeadersFor(errors)
    if (this.cookies === undefined) return headers
    const withCookies = new Headers(headers)
    for (const cookie of this.cookies) withCookies.append('set-cookie', cookie)
    return withCookies
  }
}

/**
 * Serves the tRPC router under `/trpc`: no data transformer, GET for queries, POST for
 * mutations, batching on and capped, tRPC's error shapes and status codes.
 *
 * A single call (a query by GET or a mutation by POST with a JSON body: `system.whoami`,
 * `auth.login` and every call of the typed client that its link does not batch) is answered by
 * `answerSingleCall`, which does what tRPC's `resolveResponse` does for it without the parts such
 * a request cannot use; everything else (batches, streaming, other body types, unknown paths,
 * other methods) goes to `resolveResponse`, which every tRPC adapter calls. A POST's body is held
 * to `MAX_BODY_BYTES` first. A request that calls a low-priority procedure (password work) then
 * waits for its turn in `lane`. The auth outcome is copied to the request log afterwards.
 */
export function handleTrpc(options: {
  config: Config
  services: ApiServices
  socketAddress: SocketAddress
  lane: LowPriorityLane
}) {
  const { config, services, socketAddress, lane } = options
  const onError: HTTPErrorHandler<typeof appRouter, Request> = ({ error, path }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      services.logger.error('procedure failed', {
        path,
        error: error.cause instanceof Error ? error.cause.message : error.message,
      })
    }
  }
  return async (c: HonoContext<AppEnv>) => {
    let req = c.req.raw
    if (req.method === 'POST') {
      // MAX_BODY_BYTES: by the declared length (the runtime then delivers no more than it says),
      // else by reading the body here within the bound; the call then reads this copy.
      const { headers } = req
      const declared = headers.get('content-length')
      if (declared === null || headers.has('transfer-encoding')) {
        const body = await readWithinLimit(req)
        if (body === TOO_LARGE) return payloadTooLarge()
        if (body !== undefined) req = new Request(req, { body })
      } else if (!(Number(declared) <= MAX_BODY_BYTES)) {
        return payloadTooLarge()
      }
    }
    const exchange = new TrpcExchange(c, config, socketAddress)
    const path = procedurePath(req.url)
    if (callsLowPriority(path)) await lane.turn()
    const single = singleCall(req, path)
    const response =
      single === undefined
        ? await resolveResponse({
            req,
            path,
            router: appRouter,
            maxBatchSize: MAX_BATCH_SIZE,
            error: null,
            createContext: () =>
              Promise.resolve((exchange.context = createContext({ services, request: exchange }))),
            responseMeta: ({ errors }) => ({ headers: exchange.headersFor(errors) }),
            onError,
          })
        : await answerSingleCall({ req, path, ...single, exchange, services, onError })
    const auth = exchange.context?.peekAuth()
    if (auth?.status === 'authenticated') c.set('userId', auth.claims.sub)
    // The bearer token's failure, else the first call's (`refresh_reused`, `invalid_credentials`,
    // `insufficient_scope`, …): codes only, never a token.
    const authError = auth?.status === 'failed' ? auth.error.code : exchange.callAuthError
    if (authError !== undefined) c.set('authError', authError)
    return response
  }
}

const TOO_LARGE = Symbol('too large')

/**
 * The body of a request without a declared length (a chunked body, or a `Request` built in
 * process), read up to `MAX_BODY_BYTES`: `TOO_LARGE` as soon as it passes them, undefined when
 * there is no body.
 */
async function readWithinLimit(
  req: Request,
): Promise<Uint8Array<ArrayBuffer> | undefined | typeof TOO_LARGE> {
  if (req.body === null) return undefined
  const reader = (req.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BODY_BYTES) {
      // The rest is not wanted; the answer closes the connection.
      reader.cancel().catch(() => undefined)
      return TOO_LARGE
    }
    chunks.push(value)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

/**
 * tRPC's answer to a body over `MAX_BODY_BYTES` (what its own adapters answer past their
 * `maxBodySize`): 413 with a `PAYLOAD_TOO_LARGE` error, for the whole request. The connection is
 * closed after it, so the rest of a body that was never read is not read either.
 */
function payloadTooLarge(): Response {
  const error = withoutStackTrace(
    () =>
      new TRPCError({
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body is larger than ${MAX_BODY_BYTES} bytes`,
      }),
  )
  const shape = getErrorShape({
    config: routerConfig,
    ctx: undefined,
    error,
    input: undefined,
    path: undefined,
    type: 'unknown',
  })
  const body = JSON.stringify({
    error: routerConfig.transformer.output.serialize(shape) as unknown,
  })
  return new Response(body, {
    status: statusOf(shape, error),
    headers: { ...RESPONSE_HEADERS, connection: 'close' },
  })
}

/**
 * Whether a request calls a low-priority procedure (alone or in a batch), by its path as tRPC
 * will read it: percent-decoded, then split into the batch's paths.
 */
function callsLowPriority(path: string): boolean {
  let decoded = path
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path)
    } catch {
      return false // tRPC answers 400 without calling anything
    }
  }
  if (lowPriority.has(decoded)) return true
  return decoded.includes(',') && decoded.split(',').some((one) => lowPriority.has(one))
}

/** A request that is one call, answered by `answerSingleCall`. */
interface SingleCall {
  readonly procedure: AnyProcedure
  readonly type: 'query' | 'mutation'
  /** The raw JSON input: the `input` query parameter of a query, the body of a mutation. */
  readonly readInput: () => Promise<string | null> | string | null
}

/**
 * The procedure and raw input of a request that is one call: a query by GET, or a mutation by
 * POST with a JSON body; undefined for anything `resolveResponse` must handle: another method or
 * body type, a batch or any other query parameter (a mutation takes none), a streaming `Accept`,
 * an encoded or unknown path, a procedure of another type.
 */
function singleCall(req: Request, path: string): SingleCall | undefined {
  if (hasLazyRouters || path.includes('%')) return undefined
  const { method, headers } = req
  const post = method === 'POST'
  if (!post && method !== 'GET') return undefined
  const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined
  const type = procedure?._def.type
  if (procedure === undefined || type !== (post ? 'mutation' : 'query')) return undefined
  if (headers.get('trpc-accept') !== null) return undefined
  if (headers.get('accept')?.includes('application/jsonl') === true) return undefined
  const url = req.url
  const query = url.indexOf('?')
  if (post) {
    // tRPC's test for the JSON body type: case-insensitive, parameters ignored.
    const contentType = headers.get('content-type')?.toLowerCase().split(';', 1)[0]?.trim()
    if (contentType !== 'application/json' || query !== -1) return undefined
    return { procedure, type, readInput: () => req.text() }
  }
  if (headers.get('content-type') !== null) return undefined
  if (query === -1) return { procedure, type, readInput: () => null }
  const hash = url.indexOf('#', query)
  const params = new URLSearchParams(url.slice(query + 1, hash === -1 ? undefined : hash))
  for (const name of params.keys()) if (name !== 'input') return undefined
  const input = params.get('input')
  return { procedure, type, readInput: () => input }
}

/** The JSON body of a successful call: tRPC's envelope around the transformer's output. */
const resultBody = serializeOncePerFrozenValue((data) =>
  JSON.stringify({ result: { data: routerConfig.transformer.output.serialize(data) as unknown } }),
)

/**
 * What `resolveResponse` answers for a single call, step for step: the context; the procedure
 * with its input, read and parsed from JSON (and the router's input transformer) on first use,
 * an unreadable one being a 400 `BAD_REQUEST`; a stream-like result refused as
 * `UNSUPPORTED_MEDIA_TYPE`; `onError`; the error shape from the router's formatter and the
 * status from its `httpStatus`, else from the error's code;
 * `Vary: trpc-accept, accept`, the JSON content type, then the `responseMeta` headers; the body in
 * tRPC's envelope through the router's output transformer (serialized once for a result that is
 * deeply frozen plain data and answered again: see `serializeOncePerFrozenValue`). Left out,
 * because a single call cannot use them: batching, method override, streaming, subscriptions,
 * the other body types, and the combined abort signals, `URL` and `Headers` objects built for
 * those.
 *
 * The procedure gets no abort signal (`signal: undefined`, as from a server-side caller; tRPC
 * types it as optional). Reading `req.signal` makes the runtime build one per request, and
 * Node 20 builds an `AbortSignal` by changing an `EventTarget`'s prototype and then adding
 * properties, which leaves about 0.5 KB per signal that only a full collection frees (a plain
 * `EventTarget` leaves none). In the memory benchmark that was 85 % of the bytes the server
 * promoted and almost every full collection; its 1,000,000 requests took 113 s with the signal,
 * 95–102 s without. The signal would only fire for a client that leaves before its answer, and
 * no Warden procedure listens for it. Batches, which `resolveResponse` answers, keep tRPC's
 * signals.
 */
async function answerSingleCall(
  call: SingleCall & {
    req: Request
    path: string
    exchange: TrpcExchange
    services: ApiServices
    onError: HTTPErrorHandler<typeof appRouter, Request>
  },
): Promise<Response> {
  const { req, path, procedure, type, exchange } = call
  const { transformer } = routerConfig
  // Read on first use, as tRPC does: a procedure without input never reads it.
  let input: unknown
  const readInput = async (): Promise<unknown> => {
    try {
      const raw = await call.readInput()
      const parsed: unknown = raw ? JSON.parse(raw) : undefined
      input = parsed === undefined ? undefined : (transformer.input.deserialize(parsed) as unknown)
      return input
    } catch (cause) {
      if (cause instanceof TRPCError) throw cause
      const message = cause instanceof Error ? cause.message : 'Invalid input'
      throw new TRPCError({ code: 'BAD_REQUEST', message, cause })
    }
  }
  let reading: Promise<unknown> | undefined
  const getRawInput = () => (reading ??= readInput())

  let data: unknown
  let failure: { error: TRPCError; path: string | undefined; input: unknown } | undefined
  try {
    const ctx = (exchange.context = createContext({ services: call.services, request: exchange }))
    data = await procedure({ path, getRawInput, ctx, type, signal: undefined, batchIndex: 0 })
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause)
    failure = { error, path, input }
  }
  if (failure === undefined && isDataStream(data)) {
    // resolveResponse raises this outside the call, so without the call's path and input.
    const message =
      'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink'
    failure = {
      error: new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message }),
      path: undefined,
      input: undefined,
    }
  }

  let body: string
  let status = 200
  if (failure === undefined) {
    body = resultBody(data)
  } else {
    const { error } = failure
    const ctx = exchange.context
    call.onError({ error, path: failure.path, input: failure.input, ctx, type, req })
    const shape = getErrorShape({
      config: routerConfig,
      ctx,
      error,
      input: failure.input,
      path: failure.path,
      type,
    })
    body = JSON.stringify({ error: transformer.output.serialize(shape) as unknown })
    status = statusOf(shape, error)
  }
  const meta = exchange.headersFor(failure === undefined ? [] : [failure.error])
  let headers: Headers | Record<string, string>
  if (meta instanceof Headers) {
    headers = new Headers(RESPONSE_HEADERS)
    for (const [name, value] of meta) headers.append(name, value)
  } else {
    // A plain record when nothing needs appending (no Set-Cookie): the runtimes build their
    // header list from it without a Headers object and its per-call validation.
    headers = { ...RESPONSE_HEADERS, ...meta }
  }
  return new Response(body, { status, headers })
}

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `getHTTPStatusCode` for one error: the formatter's `data.httpStatus`, else the code's. */
function statusOf(shape: unknown, error: TRPCError): number {
  const data: unknown = isObject(shape) && 'data' in shape ? shape.data : undefined
  const httpStatus: unknown = isObject(data) && 'httpStatus' in data ? data.httpStatus : undefined
  return typeof httpStatus === 'number' ? httpStatus : getHTTPStatusCodeFromError(error)
}

/** tRPC's test for a result only a streaming link can carry: async iterables or promises. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false
  if (Symbol.asyncIterator in value) return true
  return Object.values(value).some(
    (item: unknown) =>
      ((isObject(item) || typeof item === 'function') &&
        'then' in item &&
        typeof item.then === 'function' &&
        'catch' in item &&
        typeof item.catch === 'function') ||
      (isObject(item) && Symbol.asyncIterator in item),
  )
}

/**
 * The procedure path of a `/trpc/…` URL, still percent-encoded (tRPC decodes it), as tRPC's fetch
 * adapter computes it: the URL's path after the endpoint, without surrounding slashes. A
 * `Request`'s URL is serialised, so its path starts at the first `/` after `//` and ends at the
 * first `?` or `#`.
 */
function procedurePath(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start === -1) return ''
  const query = url.indexOf('?', start)
  const hash = url.indexOf('#', start)
  const end = hash === -1 ? query : query === -1 ? hash : Math.min(query, hash)
  let path = url.slice(start + ENDPOINT.length, end === -1 ? undefined : end)
  if (path.startsWith('/')) path = path.slice(1)
  if (path.endsWith('/')) path = path.slice(0, -1)
  return path
}

// RFC 6750 §2.3 allows `access_token` in the query; we never do, and say so (tokens leak from
// URLs into logs, history and Referer headers).
function hasTokenInUrl(url: string): boolean {
  const query = url.indexOf('?')
  return query !== -1 && /[?&]access_token=/.test(url.slice(query))
}
