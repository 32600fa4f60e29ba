import { defineContract } from '@couponkill/http';
import { publicProfileExample, publicProfileSchema } from '@couponkill/users';
import { z } from 'zod';
import { loginBodySchema, registerBodySchema } from './schemas.js';

const profile = publicProfileSchema;
const profileExample = publicProfileExample;

export const registerContract = defineContract({
  method: 'POST',
  path: '/api/v1/auth/register',
  operationId: 'register',
  summary: 'Create a user account',
  description:
    'Every account starts with the role `user`; administrators are created only by `make admin`. Registrations are ' +
    'rate-limited per client address and in total (429 with Retry-After).',
  tags: ['auth'],
  auth: 'none',
  request: { body: registerBodySchema },
  bodyExample: { username: 'carol', password: 'carol-password', email: 'carol@example.com' },
  responses: { 201: { description: 'The new profile.', schema: profile, example: profileExample } },
  errors: ['ALREADY_EXISTS', 'RATE_LIMITED'],
});

export const loginContract = defineContract({
  method: 'POST',
  path: '/api/v1/auth/login',
  operationId: 'login',
  summary: 'Exchange username and password for an access token',
  description:
    'An unknown user and a wrong password get the same 401. Repeated failures lock the username and the client ' +
    'address for a while (429 with Retry-After).',
  tags: ['auth'],
  auth: 'none',
  request: { body: loginBodySchema },
  bodyExample: { username: 'carol', password: 'carol-password' },
  responses: {
    200: {
      description: 'A bearer token (ES256 JWT) for the `Authorization` header.',
      schema: z.strictObject({
        accessToken: z.string(),
        tokenType: z.literal('Bearer'),
        expiresAt: z.iso.datetime(),
        userId: z.string(),
        roles: z.array(z.enum(['user', 'admin'])),
      }),
      example: {
        accessToken: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImRldi0xIn0.eyJzdWIiOiIuLi4ifQ.c2ln',
        tokenType: 'Bearer',
        expiresAt: '2030-11-11T12:15:00.000Z',
        userId: '01JCK7P0A1B2C3D4E5F6G7H8J9',
        roles: ['user'],
      },
    },
  },
  errors: ['INVALID_CREDENTIALS', 'LOGIN_LOCKED'],
});

export const jwksContract = defineContract({
  method: 'GET',
  path: '/.well-known/jwks.json',
  operationId: 'getJwks',
  summary: 'The public keys that verify access tokens',
  tags: ['auth'],
  auth: 'none',
  request: {},
  responses: {
    200: {
      description: 'A JSON Web Key Set (EC P-256 keys, `kid` per key); cacheable for 5 minutes.',
      schema: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())) }),
      example: { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: 'dev-1', alg: 'ES256', use: 'sig' }] },
    },
  },
  errors: [],
});

/** The API's OpenAPI document (docs/openapi.json), published beside the JWKS: both describe the API to clients. */
export const openApiContract = defineContract({
  method: 'GET',
  path: '/openapi.json',
  operationId: 'getOpenApi',
  summary: 'This document',
  tags: ['meta'],
  auth: 'none',
  request: {},
  responses: {
    200: {
      description: 'The OpenAPI 3.1 document of every route.',
      schema: z.record(z.string(), z.unknown()),
      example: { openapi: '3.1.0', info: { title: 'CouponKill API', version: '1.0.0' }, paths: {} },
    },
  },
  errors: ['NOT_FOUND'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [registerContract, loginContract, jwksContract, openApiContract];
