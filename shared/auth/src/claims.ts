import { z } from 'zod';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a verified token tells a function about its caller. */
export interface Caller {
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly tokenId: string | undefined;
  /** Expiry, epoch seconds. */
  readonly expiresAt: number;
}

/** Claims we require beyond the registered ones jose checks (iss, aud, exp, nbf). */
export const callerClaimsSchema = z.object({
  sub: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
  exp: z.number().int(),
  jti: z.string().optional(),
});
