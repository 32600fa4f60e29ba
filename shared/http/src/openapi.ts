import { DEPENDENCY_MESSAGE, ERROR_CODES, type ErrorCode } from '@couponkill/errors';
import { z } from 'zod';
import type { RouteContract } from './contract.js';

/** A JSON value as it appears in the document. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  readonly servers?: ReadonlyArray<{ readonly url: string; readonly description?: string }>;
  /** Tag descriptions, in the order a viewer should list them. */
  readonly tags?: ReadonlyArray<{ readonly name: string; readonly description: string }>;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The one JSON error shape, as a schema: every error answer of every route has it. */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string().optional(),
      fields: z
        .array(z.strictObject({ field: z.string(), message: z.string() }))
        .optional()
        .describe('Present on VALIDATION_FAILED: every bad field, as `body.window.start`, `query.limit`, …'),
    }),
  })
  .describe('The error body of every non-2xx answer.');

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'The request body is not valid JSON.',
  VALIDATION_FAILED: 'Invalid body: body.name',
  UNAUTHENTICATED: 'A valid bearer token is required.',
  FORBIDDEN: 'This needs the admin role.',
  METHOD_NOT_ALLOWED: 'This method is not allowed on this resource.',
  PAYLOAD_TOO_LARGE: 'The request body must not exceed 1024 bytes.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be JSON (Content-Type: application/json).',
  INTERNAL: 'Something went wrong on our side; the request can be retried.',
  UNAVAILABLE: DEPENDENCY_MESSAGE,
};

/** Codes whose answers carry `Retry-After`. */
const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set([
  'NOT_STARTED',
  'RATE_LIMITED',
  'LOGIN_LOCKED',
  'UNAVAILABLE',
]);

/**
 * Every error code a route may answer: its own, plus those of the transport and of its auth, and
 * UNAVAILABLE (503 with Retry-After), which any route answers while a dependency it waits on is down.
 */
export function errorCodesOf(contract: RouteContract): ErrorCode[] {
  const codes = new Set<ErrorCode>(['BAD_REQUEST', 'VALIDATION_FAILED', 'METHOD_NOT_ALLOWED']);
  if (BODY_METHODS.has(contract.method)) {
    codes.add('UNSUPPORTED_MEDIA_TYPE');
    codes.add('PAYLOAD_TOO_LARGE');
  }
  if (contract.auth === 'user' || contract.auth === 'admin' || contract.auth === 'job') codes.add('UNAUTHENTICATED');
  if (contract.auth === 'admin' || contract.auth === 'job') codes.add('FORBIDDEN');
  for (const code of contract.errors) codes.add(code);
  codes.add('INTERNAL');
  codes.add('UNAVAILABLE');
  return [...codes].sort((a, b) => ERROR_CODES[a] - ERROR_CODES[b] || a.localeCompare(b));
}

/**
 * An OpenAPI 3.1 document of the given routes. Schemas come from the routes' own zod schemas
 * through zod's JSON Schema output (draft 2020-12, the dialect of OpenAPI 3.1): request parts as
 * zod accepts them (`io: input`), answers as handlers produce them (`io: output`).
 */
export function openApiDocument(info: OpenApiInfo, contracts: readonly RouteContract[]): JsonObject {
  const ids = new Set<string>();
  const paths: Record<string, JsonObject> = {};
  for (const contract of contracts) {
    if (ids.has(contract.operationId)) throw new Error(`duplicate operationId ${contract.operationId}`);
    ids.add(contract.operationId);
    const path = contract.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const item = (paths[path] ??= {});
    const method = contract.method.toLowerCase();
    if (item[method] !== undefined) throw new Error(`duplicate route ${contract.method} ${contract.path}`);
    item[method] = operation(contract);
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    ...(info.servers === undefined ? {} : { servers: info.servers.map((s) => ({ ...s })) }),
    ...(info.tags === undefined ? {} : { tags: info.tags.map((t) => ({ ...t })) }),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An ES256 access token from POST /api/v1/auth/login (keys at /.well-known/jwks.json).',
        },
        jobToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The shared job token of the scheduled jobs (a Secret), sent as a bearer token.',
        },
      },
    },
  };
}

function operation(contract: RouteContract): JsonObject {
  const { params, query, headers, body } = contract.request;
  const parameters = [
    ...parametersOf(params, 'path'),
    ...parametersOf(query, 'query'),
    ...parametersOf(headers, 'header'),
  ];
  const out: JsonObject = {
    operationId: contract.operationId,
    summary: contract.summary,
    ...(contract.description === undefined ? {} : { description: contract.description }),
    tags: [...contract.tags],
    'x-auth': contract.auth,
    security: securityOf(contract),
  };
  if (parameters.length > 0) out['parameters'] = parameters;
  if (body !== undefined) {
    const schema = jsonSchema(body, 'input');
    out['requestBody'] = {
      required: !body.safeParse(undefined).success,
      content: {
        'application/json': {
          schema,
          ...(contract.bodyExample === undefined ? {} : { example: contract.bodyExample as Json }),
        },
      },
    };
  }
  const responses: JsonObject = {};
  for (const [status, doc] of Object.entries(contract.responses)) {
    const content =
      doc.schema === undefined && doc.example === undefined
        ? undefined
        : {
            [doc.contentType ?? 'application/json']: {
              ...(doc.schema === undefined ? {} : { schema: jsonSchema(doc.schema, 'output') }),
              ...(doc.example === undefined ? {} : { example: doc.example as Json }),
            },
          };
    responses[status] = {
      description: doc.description,
      ...(doc.headers === undefined
        ? {}
        : {
            headers: Object.fromEntries(
              Object.entries(doc.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' } },
              ]),
            ),
          }),
      ...(content === undefined ? {} : { content }),
    };
  }
  for (const [status, codes] of byStatus(errorCodesOf(contract))) {
    responses[String(status)] = {
      description: codes.join(', '),
      ...(status === 405
        ? { headers: { allow: { description: 'The methods this path takes.', schema: { type: 'string' } } } }
        : {}),
      ...(codes.some((code) => RETRY_AFTER_CODES.has(code))
        ? {
            headers: {
              'retry-after': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
            },
          }
        : {}),
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Error' },
          examples: Object.fromEntries(codes.map((code) => [code, { value: errorExample(code) }])),
        },
      },
    };
  }
  out['responses'] = responses;
  return out;
}

function securityOf(contract: RouteContract): Json[] {
  switch (contract.auth) {
    case 'user':
    case 'admin':
      return [{ bearer: [] }];
    case 'job':
      return [{ jobToken: [] }, { bearer: [] }];
    default:
      return [];
  }
}

function byStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const out = new Map<number, ErrorCode[]>();
  for (const code of codes) out.set(ERROR_CODES[code], [...(out.get(ERROR_CODES[code]) ?? []), code]);
  return out;
}

function errorExample(code: ErrorCode): JsonObject {
  const error: JsonObject = {
    code,
    message: MESSAGES[code] ?? code.toLowerCase().replace(/_/g, ' '),
    requestId: '01JCK7Q8ZK3M6V4T2R1P0N9B8A',
  };
  if (code === 'VALIDATION_FAILED') error['fields'] = [{ field: 'body.name', message: 'must not be empty' }];
  return { error };
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): JsonObject[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object['properties'] ?? {}) as Record<string, JsonObject>;
  const required = new Set((object['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  // Refinements and transforms have no JSON Schema form: they stay in the descriptions.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonObject;
  return rest;
}
