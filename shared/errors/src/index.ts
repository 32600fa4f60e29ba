export { ERROR_CODES, type ErrorCode, isErrorCode, statusOf } from './codes.js';
export { AppError, type AppErrorOptions, type FieldIssue, isAppError } from './app-error.js';
export { type ErrorBody, errorBody, toAppError } from './body.js';
export { validationError } from './zod.js';
