import { defineContract } from '@couponkill/http';
import { z } from 'zod';

const profile = z.strictObject({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  roles: z.array(z.enum(['user', 'admin'])),
  createdAt: z.iso.datetime(),
});
const example = {
  id: '01JCK7P0A1B2C3D4E5F6G7H8J9',
  username: 'carol',
  email: 'carol@example.com',
  phone: null,
  roles: ['user'],
  createdAt: '2030-11-01T09:00:00.000Z',
};
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

export const userLookupContracts = [meContract, userByIdContract, userByNameContract];
