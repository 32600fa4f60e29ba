import { validationError } from '@couponkill/errors';

/** The part of a validation issue we report; zod's issues have this shape. */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type SafeParseResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: { readonly issues: readonly IssueLike[] } };

/** Anything with zod's `safeParse`; structural so this package does not depend on zod. */
export interface SafeParser<T> {
  safeParse(value: unknown): SafeParseResult<T>;
}

/**
 * Validates `value` and returns the typed data, or throws VALIDATION_FAILED naming every bad
 * field under `where` (`body`, `query`, `path`), which the HTTP function turns into a 400.
 */
export function parseWith<T>(schema: SafeParser<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error.issues);
  return result.data;
}
