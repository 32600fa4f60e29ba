import { defineContract } from '@couponkill/http';
import { publicProfileExample, publicProfileSchema } from '@couponkill/users';
import { z } from 'zod';

const profile = publicProfileSchema;
const example = publicProfileExample;
const notProbed = 'Anyone but the owner or an admin gets the same 404 as for an unknown id, so ids cannot be probed.';

export const meContract = defineContract({
  method: 'GET',
  path: '/api/v1/users/me',
  operationId: 'getMe',
  summary: "The caller's own profile",
  tags: ['users'],
  auth: 'user',
  request: {},
  responses: { 200: { description: 'The profile.', schema: profile, example } },
  errors: ['NOT_FOUND'],
});

export const userByIdContract = defineContract({
  method: 'GET',
  path: '/api/v1/users/:id',
  operationId: 'getUser',
  summary: 'A profile by id (the caller itself, or anyone for an admin)',
  description: notProbed,
  tags: ['users'],
  auth: 'user',
  request: { params: z.strictObject({ id: z.string().max(128).describe('The user id (a ULID).') }) },
  responses: { 200: { description: 'The profile.', schema: profile, example } },
  errors: ['NOT_FOUND'],
});

export const userByNameContract = defineContract({
  method: 'GET',
  path: '/api/v1/users',
  operationId: 'findUserByUsername',
  summary: 'Find a profile by username (admin)',
  tags: ['users'],
  auth: 'admin',
  request: {
    query: z.strictObject({ username: z.string().regex(/^[A-Za-z0-9_]{3,32}$/, '3-32 letters, digits or _') }),
  },
  responses: { 200: { description: 'The profile.', schema: profile, example } },
  errors: ['NOT_FOUND'],
});

/** The routes of this function (the OpenAPI document finds them by this name). */
export const contracts = [meContract, userByIdContract, userByNameContract];
