import { z } from 'zod';

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,32}$/, '3-32 letters, digits or _')
  .transform((s) => s.toLowerCase());

export const registerBodySchema = z
  .strictObject({
    username: usernameSchema,
    password: z.string().min(10, 'at least 10 characters').max(128),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'international format, e.g. +8613800000000')
      .optional(),
  })
  .refine((body) => body.email !== undefined || body.phone !== undefined, {
    message: 'give an email or a phone number',
    path: ['email'],
  });

export const loginBodySchema = z.strictObject({
  // Not validated beyond size: a malformed username must fail exactly like a wrong password.
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(128),
});
