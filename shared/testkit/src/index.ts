import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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

/** Serves a `(req, res)` handler on 127.0.0.1 at a free port, as functions-framework would. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
