import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, parseConfigDocument } from '../src/index.js';

// Sections use `prefault({})` so their own defaults apply when a source leaves them out.
const schema = z.object({
  port: z.number().int().min(1).max(65535).default(8080),
  logLevel: z.enum(['debug', 'info', 'warn']).default('info'),
  redis: z
    .object({ url: z.url().default('redis://127.0.0.1:6379'), autoPipelining: z.boolean().default(true) })
    .prefault({}),
  kafka: z.object({ brokers: z.array(z.string()).min(1).default(['127.0.0.1:9092']) }).prefault({}),
  flow: z.object({ perUserPerSecond: z.number().positive().default(5) }).prefault({}),
});

const spec = {
  name: 'grab-coupon',
  schema,
  fileEnv: 'CONFIG_FILE',
  env: {
    PORT: 'port',
    LOG_LEVEL: 'logLevel',
    REDIS_URL: 'redis.url',
    REDIS_AUTO_PIPELINING: 'redis.autoPipelining',
    KAFKA_BROKERS: 'kafka.brokers',
  },
};

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ck-config-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('uses schema defaults when nothing is given', () => {
    const store = loadConfig(spec, { env: {} });
    expect(store.current).toEqual({
      port: 8080,
      logLevel: 'info',
      redis: { url: 'redis://127.0.0.1:6379', autoPipelining: true },
      kafka: { brokers: ['127.0.0.1:9092'] },
      flow: { perUserPerSecond: 5 },
    });
  });

  it('layers defaults < file < env and coerces env strings to the schema types', () => {
    const path = file('port: 9000\nlogLevel: warn\nflow:\n  perUserPerSecond: 2\n');
    const store = loadConfig(spec, {
      env: { CONFIG_FILE: path, PORT: '9100', REDIS_AUTO_PIPELINING: 'false', KAFKA_BROKERS: 'a:1, b:2' },
    });
    expect(store.current.port).toBe(9100);
    expect(store.current.logLevel).toBe('warn');
    expect(store.current.flow.perUserPerSecond).toBe(2);
    expect(store.current.redis.autoPipelining).toBe(false);
    expect(store.current.kafka.brokers).toEqual(['a:1', 'b:2']);
  });

  it('fails with one line naming the key and its source, never the value', () => {
    const error = (() => {
      try {
        loadConfig(spec, { env: { PORT: 'eighty', REDIS_URL: 's3cret-not-a-url' } });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^Invalid configuration for grab-coupon: /);
    expect(message).toContain('port: ');
    expect(message).toContain('(from env PORT)');
    expect(message).toContain('redis.url: ');
    expect(message).toContain('(from env REDIS_URL)');
    expect(message).not.toContain('s3cret');
  });

  it('names the file when a file value is wrong or the file is unreadable', () => {
    const path = file('flow:\n  perUserPerSecond: -1\n');
    expect(() => loadConfig(spec, { env: { CONFIG_FILE: path } })).toThrow(`flow.perUserPerSecond`);
    expect(() => loadConfig(spec, { env: { CONFIG_FILE: path } })).toThrow(`(from file ${path})`);
    expect(() => loadConfig(spec, { env: { CONFIG_FILE: '/nonexistent/ck.yaml' } })).toThrow(
      'cannot read config file /nonexistent/ck.yaml: ENOENT',
    );
    expect(() => loadConfig(spec, { env: { CONFIG_FILE: file('port: [1,\n') } })).toThrow('is not valid YAML');
  });

  it('returns a deeply frozen snapshot', () => {
    const store = loadConfig(spec, { env: {} });
    expect(Object.isFrozen(store.current)).toBe(true);
    expect(Object.isFrozen(store.current.kafka.brokers)).toBe(true);
  });
});

describe('ConfigStore.applyLayer (live updates)', () => {
  it('swaps the snapshot on a valid update and notifies listeners with old and new', () => {
    const store = loadConfig(spec, { env: { PORT: '9100' } });
    const before = store.current;
    const seen: Array<[number, number]> = [];
    store.onChange((next, previous) => seen.push([next.flow.perUserPerSecond, previous.flow.perUserPerSecond]));
    const result = store.applyLayer('nacos', { flow: { perUserPerSecond: 50 } }, 'nacos grab-coupon.yaml');
    expect(result.ok).toBe(true);
    expect(store.current.flow.perUserPerSecond).toBe(50);
    expect(store.current.port).toBe(9100);
    expect(before.flow.perUserPerSecond).toBe(5); // the old snapshot is untouched
    expect(seen).toEqual([[50, 5]]);
  });

  it('rejects an invalid update, keeps the previous snapshot and names the source', () => {
    const store = loadConfig(spec, { env: {} });
    store.applyLayer('nacos', { flow: { perUserPerSecond: 10 } });
    const before = store.current;
    const result = store.applyLayer('nacos', { flow: { perUserPerSecond: 'lots' } }, 'nacos flow-rules.yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('(from nacos flow-rules.yaml)');
    expect(store.current).toBe(before);
    expect(store.applyLayer('nacos', ['not', 'a', 'mapping']).ok).toBe(false);
    expect(store.current).toBe(before);
  });

  it('ignores prototype-pollution keys in any layer', () => {
    const store = loadConfig(spec, { env: {} });
    const payload = parseConfigDocument('__proto__:\n  polluted: true\nflow:\n  perUserPerSecond: 3\n');
    expect(payload.ok).toBe(true);
    if (payload.ok) store.applyLayer('nacos', payload.data);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(store.current.flow.perUserPerSecond).toBe(3);
  });
});

describe('parseConfigDocument', () => {
  it('accepts a YAML mapping or an empty document and rejects anything else', () => {
    expect(parseConfigDocument('a: 1')).toEqual({ ok: true, data: { a: 1 } });
    expect(parseConfigDocument('')).toEqual({ ok: true, data: {} });
    expect(parseConfigDocument('- 1\n- 2').ok).toBe(false);
    expect(parseConfigDocument('a: [').ok).toBe(false);
  });
});
