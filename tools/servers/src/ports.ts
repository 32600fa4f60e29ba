import { createServer } from 'node:net';

/** Whether a TCP port on 127.0.0.1 is free right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel says is free; used so a second run on the same machine never clashes. */
export function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `preferred` when it is free (stable URLs for `make dev`), otherwise a free ephemeral port.
 * Ports handed out in this process are remembered so two servers never get the same one.
 */
const handedOut = new Set<number>();
export async function pickPort(preferred?: number): Promise<number> {
  if (preferred !== undefined && !handedOut.has(preferred) && (await portFree(preferred))) {
    handedOut.add(preferred);
    return preferred;
  }
  for (;;) {
    const port = await ephemeralPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Waits (bounded) until `port` is free: a restarted server must come back where its clients look. */
export async function requirePort(port: number, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portFree(port))) {
    if (Date.now() > deadline) throw new Error(`port ${port} is still in use after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  handedOut.add(port);
  return port;
}

/** The port a server starts on: exactly `preferred` when `exact` (a restart), otherwise as `pickPort`. */
export function portFor(preferred: number | undefined, exact: boolean | undefined): Promise<number> {
  return exact === true && preferred !== undefined ? requirePort(preferred) : pickPort(preferred);
}
