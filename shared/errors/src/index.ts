export { ERROR_CODES, type ErrorCode, isErrorCode, statusOf } from './codes.js';
export { AppError, type AppErrorOptions, type FieldIssue, isAppError } from './app-error.js';
export { type ErrorBody, errorBody, toAppError } from './body.js';
export {
  classifyDependencyFailure,
  type Dependency,
  DEPENDENCY_MESSAGE,
  DEPENDENCY_RETRY_AFTER_SECONDS,
  DependencyError,
  type DependencyFailure,
  dependencyError,
} from './dependency.js';
export { validationError } from './zod.js';
