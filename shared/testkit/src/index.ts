import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** Where the real servers of an integration run listen (started by tools/system-tests/src/global-setup.ts). */
export interface TestEndpoints {
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly nacos: { readonly serverAddr: string; readonly username: string; readonly password: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: TestEndpoints;
  }
}

/** The endpoints of this run's real servers. Only valid in the `integration` project. */
export function endpoints(): TestEndpoints {
  return inject('endpoints');
}

/**
 * A name no other test file of this run (or of a parallel run on the same servers) uses, for
 * databases, topics, consumer groups, Redis key prefixes and Nacos data ids.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export {
  callJson,
  type Json,
  JsonReply,
  type JsonRequest,
  serve,
  serveApp,
  type Served,
  type ServedApp,
} from './http.js';
export { type JwksFixture, serveJwks, TEST_AUDIENCE, TEST_ISSUER } from './jwks.js';
