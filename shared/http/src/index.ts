export { callJson, callJsonOk, type Json, JsonReply, type JsonRequest } from './call-json.js';
export { createHttpFunction, type HttpFunctionOptions } from './http-function.js';
export { sendJson } from './send-json.js';
export { sendCannedError, type Shortcut } from './shortcut.js';
export type { DirectContext, DirectRoute } from './direct-route.js';
export { type LazyLogger, sendError, type SendErrorOptions } from './send-error.js';
export { type IssueLike, parseWith, type SafeParser, type SafeParseResult } from './parse-with.js';
export type {
  HeaderValues,
  HttpFunction,
  HttpMethod,
  HttpRequest,
  HttpResponse,
  Route,
  RouteContext,
  RouteReply,
} from './types.js';
export {
  clientIp,
  closeAll,
  type Releasable,
  createFunctionKit,
  type FunctionApp,
  type FunctionKit,
  trustedProxyHopsSchema,
} from './function-kit.js';
export {
  type ContractRoute,
  defineContract,
  implement,
  queryObject,
  type RequestSchemas,
  type ResponseDoc,
  type RouteAuth,
  type RouteContract,
  type ValidatedContext,
} from './contract.js';
export { errorBodySchema, errorCodesOf, openApiDocument, type OpenApiInfo } from './openapi.js';
