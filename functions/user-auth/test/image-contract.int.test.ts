import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKey } from '@couponkill/auth';
import { createPool } from '@couponkill/db';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The image contract: the compiled function started with PORT, FUNCTION_TARGET, FUNCTION_SOURCE
// and configuration from the environment — under the host the images run (couponkill-function)
// and under the stock functions-framework server, which runs the very same module.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const hosts = [
  { name: 'couponkill-function (the image host)', main: `${root}shared/runtime/dist/src/main.js`, ours: true },
  {
    name: 'functions-framework',
    main: `${root}node_modules/@google-cloud/functions-framework/build/src/main.js`,
    ours: false,
  },
];

describe.each(hosts)('user-auth under $name', ({ main, ours }) => {
  const prefix = uniqueName('ck_ff');
  const databases = [`${prefix}_index`, `${prefix}_0`];
  const configFile = join(mkdtempSync(join(tmpdir(), 'ck-ff-')), 'user-auth.yaml');
  writeFileSync(
    configFile,
    JSON.stringify({ userSharding: { indexDatabase: databases[0], shards: [{ database: databases[1] }] } }),
  );
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b', `${root}functions/user-auth`], {
      stdio: 'inherit',
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [main], {
      cwd: `${root}functions/user-auth`,
      env: {
        ...process.env,
        PORT: String(port),
        FUNCTION_TARGET: 'user-auth',
        FUNCTION_SOURCE: 'dist/src/index.js',
        FUNCTION_SIGNATURE_TYPE: 'http',
        HOST: '127.0.0.1',
        MYSQL_URL: endpoints().mysqlUrl,
        REDIS_URL: endpoints().redisUrl,
        MIGRATE_ON_START: 'true',
        CONFIG_FILE: configFile,
        AUTH_SIGNING_KEYS: JSON.stringify([await generateSigningKey('ff-key', true)]),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (let i = 0; ; i++) {
      const ready = await fetch(`${url}/health/readiness`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ready) break;
      // Generous: a cold tsc build and the migrations run first, on a machine that may be busy.
      if (i > 600) throw new Error('functions-framework did not become ready within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const db of databases) await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await server.end();
  });

  it('answers liveness, readiness, JWKS and a registration with JSON', async () => {
    expect((await fetch(`${url}/health/liveness`)).status).toBe(200);
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string; d?: string }>;
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['ff-key']);
    expect(jwks.keys[0]?.d).toBeUndefined(); // never the private part
    const registered = await fetch(`${url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: uniqueName('ff').slice(0, 30),
        password: 'a long enough secret',
        email: 'ff@example.com',
      }),
    });
    expect(registered.status).toBe(201);
  });

  // The stock server's body parser answers malformed JSON with an HTML page before the handler
  // runs: one reason the images use their own host.
  it.runIf(ours)('turns malformed JSON and a wrong content type into 4xx JSON errors, not 500s', async () => {
    const badJson = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    const text = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(415);
  });
});

// What the chart's migration Jobs run: the image's entrypoint with --load-only (no shell in the image).
describe('couponkill-function --load-only (the migration Job)', () => {
  it('applies the migrations while wiring the function, then exits 0 without serving', async () => {
    execFileSync(process.execPath, [
      `${root}node_modules/typescript/bin/tsc`,
      '-b',
      `${root}functions/user-auth`,
      `${root}shared/runtime`,
    ]);
    const prefix = uniqueName('ck_mig');
    const databases = [`${prefix}_index`, `${prefix}_0`];
    const configFile = join(mkdtempSync(join(tmpdir(), 'ck-mig-')), 'user-auth.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({ userSharding: { indexDatabase: databases[0], shards: [{ database: databases[1] }] } }),
    );
    const child = spawn(process.execPath, [`${root}shared/runtime/dist/src/main.js`, '--load-only'], {
      cwd: `${root}functions/user-auth`,
      env: {
        ...process.env,
        PORT: '8080',
        FUNCTION_TARGET: 'user-auth',
        FUNCTION_SOURCE: 'dist/src/index.js',
        MYSQL_URL: endpoints().mysqlUrl,
        REDIS_URL: endpoints().redisUrl,
        MIGRATE_ON_START: 'true',
        CONFIG_FILE: configFile,
        AUTH_SIGNING_KEYS: JSON.stringify([await generateSigningKey('mig-key', true)]),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(0);
    expect(stdout).toContain('user-auth loaded (--load-only)');
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    try {
      const [tables] = await server.query(`SHOW TABLES FROM \`${databases[1]}\``);
      expect((tables as unknown[]).length).toBeGreaterThan(0);
      for (const db of databases) await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    } finally {
      await server.end();
    }
  }, 120_000);
});

/**
 * A port nothing listens on now, from the kernel (a random pick in 20000–40000 could land on a
 * port in use: the ephemeral range starts at 32768).
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
