import type { AnyRouter } from '@trpc/server'

/**
 * A compile-time refusal of routers that use a data transformer: Warden's wire contract is plain
 * JSON and the client sends none, so such a router's types would promise values (Dates, Maps)
 * that never arrive. Intersected with a factory's options, it makes the call fail to compile.
 */
export type PlainJsonRouterCheck<TRouter extends AnyRouter> =
  TRouter['_def']['_config']['$types']['transformer'] extends false
    ? unknown
    : { readonly 'Warden speaks plain JSON: the router must not use a data transformer': never }
