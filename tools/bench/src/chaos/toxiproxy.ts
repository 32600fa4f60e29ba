import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { pickPort, REPO_ROOT, type ServerProcess, spawnServer, stateDir, waitFor } from '@couponkill/servers';

/**
 * The toxiproxy server binary: built once from the Go module proxy at a pinned version into the
 * per-user cache by scripts/tasks/go-tools.mjs (which prints its path).
 */
export function ensureToxiproxy(): string {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'tasks', 'go-tools.mjs'), 'toxiproxy'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const binary = result.stdout.trim().split('\n').at(-1);
  if (result.status !== 0 || binary === undefined || binary === '') {
    throw new Error('could not build toxiproxy (scripts/tasks/go-tools.mjs toxiproxy failed; see above)');
  }
  return binary;
}

/** The toxics the campaign uses (toxiproxy's own names and attributes). */
export type Toxic =
  /** Every chunk is held `latency` ± `jitter` ms. */
  | { readonly type: 'latency'; readonly attributes: { latency: number; jitter: number } }
  /** Connections are reset (TCP RST) as soon as data flows: a connection cut. */
  | { readonly type: 'reset_peer'; readonly attributes: { timeout: number } }
  /** Data stops; with timeout 0 the connection stays open and silent forever: a blackhole. */
  | { readonly type: 'timeout'; readonly attributes: { timeout: number } };

const proxySchema = z.object({ name: z.string(), listen: z.string(), upstream: z.string(), enabled: z.boolean() });

/**
 * One toxiproxy server on 127.0.0.1, driven over its HTTP API: a TCP proxy per middleware server,
 * and toxics added to and removed from them while the sale runs.
 */
export class Toxiproxy {
  readonly #api: string;
  readonly process: ServerProcess;

  private constructor(api: string, server: ServerProcess) {
    this.#api = api;
    this.process = server;
  }

  static async start(profile: string): Promise<Toxiproxy> {
    const binary = ensureToxiproxy();
    const port = await pickPort();
    const dir = stateDir(profile, 'toxiproxy');
    const server = spawnServer({
      name: 'toxiproxy',
      command: binary,
      args: ['-host', '127.0.0.1', '-port', String(port)],
      logFile: join(dir, 'toxiproxy.log'),
      pidFile: join(dir, 'toxiproxy.pid'),
    });
    const api = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${api}/version`, { signal: AbortSignal.timeout(1000) })).ok, {
      what: 'toxiproxy',
      timeoutMs: 10_000,
      server,
    });
    return new Toxiproxy(api, server);
  }

  /** A proxy listening on a free port of 127.0.0.1 in front of `upstreamPort`; returns its port. */
  async proxy(name: string, upstreamPort: number, listenPort?: number): Promise<number> {
    const port = listenPort ?? (await pickPort());
    const created = proxySchema.parse(
      await this.#call('POST', '/proxies', {
        name,
        listen: `127.0.0.1:${port}`,
        upstream: `127.0.0.1:${upstreamPort}`,
        enabled: true,
      }),
    );
    return Number(created.listen.split(':').at(-1));
  }

  /** Adds a toxic to both directions of a proxy's connections (existing and new ones). */
  async addToxic(proxy: string, name: string, toxic: Toxic): Promise<void> {
    for (const stream of ['upstream', 'downstream'] as const) {
      await this.#call('POST', `/proxies/${proxy}/toxics`, {
        name: `${name}-${stream}`,
        type: toxic.type,
        stream,
        toxicity: 1,
        attributes: toxic.attributes,
      });
    }
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    for (const stream of ['upstream', 'downstream']) {
      await this.#call('DELETE', `/proxies/${proxy}/toxics/${name}-${stream}`, undefined, [404]);
    }
  }

  /** Removes every toxic and re-enables every proxy (between schedules, and on failure). */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset');
  }

  async stop(): Promise<void> {
    await this.process.stop(5000);
  }

  async #call(method: string, path: string, body?: unknown, tolerated: readonly number[] = []): Promise<unknown> {
    const response = await fetch(`${this.#api}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    if (!response.ok && !tolerated.includes(response.status)) {
      throw new Error(`toxiproxy ${method} ${path}: HTTP ${response.status} ${text}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}
