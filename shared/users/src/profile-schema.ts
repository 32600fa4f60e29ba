import { z } from 'zod';

/** The public profile as the API returns it (`publicProfile`), for route contracts and OpenAPI. */
export const publicProfileSchema = z.strictObject({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  roles: z.array(z.enum(['user', 'admin'])),
  createdAt: z.iso.datetime(),
});

export const publicProfileExample: z.infer<typeof publicProfileSchema> = {
  id: '01JCK7P0A1B2C3D4E5F6G7H8J9',
  username: 'carol',
  email: 'carol@example.com',
  phone: null,
  roles: ['user'],
  createdAt: '2030-11-01T09:00:00.000Z',
};
