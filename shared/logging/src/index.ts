export { createLogger, type Logger, type LoggerOptions, REDACT_PATHS } from './logger.js';
export { requestLogger, type RequestLogFields } from './request-logger.js';
export { type HeaderMap } from './headers.js';
export { newRequestId, requestIdFrom } from './request-id.js';
export { traceIdFrom } from './trace.js';
