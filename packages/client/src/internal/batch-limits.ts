/**
 * The most calls the Warden server accepts in one tRPC batch (`MAX_BATCH_SIZE` in
 * `apps/server`): a larger batch is refused whole with 400, so by default the client splits
 * its batches at this size.
 */
export const DEFAULT_MAX_BATCH_ITEMS = 50

/** The `httpBatchLink` limits for a client's `batch` option. */
export function batchLimits(
  batch:
    | { readonly maxItems?: number | undefined; readonly maxURLLength?: number | undefined }
    | undefined,
): { maxItems: number; maxURLLength?: number } {
  return {
    maxItems: batch?.maxItems ?? DEFAULT_MAX_BATCH_ITEMS,
    ...(batch?.maxURLLength === undefined ? {} : { maxURLLength: batch.maxURLLength }),
  }
}
