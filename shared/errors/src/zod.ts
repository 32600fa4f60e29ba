import { AppError, type FieldIssue } from './app-error.js';

/** The part of a zod issue we need; kept structural so this package does not depend on zod. */
interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Turns validation issues into VALIDATION_FAILED listing every bad field under `where`. */
export function validationError(where: string, issues: readonly IssueLike[]): AppError {
  const fields: FieldIssue[] = issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const names = fields.map((f) => f.field).join(', ');
  return new AppError('VALIDATION_FAILED', `Invalid ${where}: ${names}`, { fields });
}
