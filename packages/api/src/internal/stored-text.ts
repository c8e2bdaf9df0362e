import { z } from 'zod'

/**
 * Free text that a procedure stores (a name, a description): trimmed, `min` to `max`
 * characters, and without U+0000, which PostgreSQL's `text` cannot hold. Refused here as a
 * 400 instead of failing in the database as a 500.
 */
export function storedText(options: { min: number; max: number }) {
  return z
    .string()
    .trim()
    .min(options.min)
    .max(options.max)
    .refine((value) => !value.includes('\u0000'), { message: 'Must not contain U+0000' })
}
