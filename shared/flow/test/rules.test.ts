import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@couponkill/logging';
import { createMetrics } from '@couponkill/metrics';
import { describe, expect, it } from 'vitest';
import { FlowRules } from '../src/index.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ck-flow-')), 'flow-rules.yaml');
  writeFileSync(path, text);
  return path;
}

function kit() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    name: 'flow-test',
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createMetrics({ service: 'flow-test', collectDefault: false });
  return { logger, metrics, lines };
}

describe('FlowRules without Nacos', () => {
  it('runs on the embedded defaults when no file is given', async () => {
    const { logger, metrics } = kit();
    const rules = await FlowRules.start({ logger, metrics });
    expect(rules.current).toMatchObject({ source: 'embedded', version: 'embedded', generation: 1 });
    expect(rules.current.maxConcurrentGrabs).toBe(1000);
    expect(rules.current.bucketsFor('01JD7Z5Q0000000000000000AA')).toEqual({});
    rules.close();
  });

  it('applies a valid file over the defaults and says so in its metrics and log', async () => {
    const { logger, metrics, lines } = kit();
    const rules = await FlowRules.start({
      logger,
      metrics,
      file: file('perUser: { ratePerSecond: 20, burst: 10 }\n'),
    });
    expect(rules.current).toMatchObject({ source: 'file', generation: 2, maxConcurrentGrabs: undefined });
    expect(rules.current.version).toMatch(/^[0-9a-f]{12}$/);
    expect(rules.current.bucketsFor('01JD7Z5Q0000000000000000AA').user).toEqual({ ratePerSecond: 20, burst: 10 });
    const text = (await metrics.render()).body;
    expect(text).toContain(
      `couponkill_flow_rules_info{source="file",version="${rules.current.version}",service="flow-test"} 1`,
    );
    expect(text).toContain('couponkill_flow_rules_generation{service="flow-test"} 2');
    expect(lines.find((l) => l['msg'] === 'flow rules applied')).toMatchObject({ source: 'file' });
    rules.close();
  });

  it('rejects an invalid file with a logged reason; the embedded rules stay in force', async () => {
    const { logger, metrics, lines } = kit();
    const rules = await FlowRules.start({ logger, metrics, file: file('perUser: { ratePerSecond: -1 }\n') });
    expect(rules.current).toMatchObject({ source: 'embedded', generation: 1 });
    const rejected = lines.find((l) => l['msg'] === 'flow rules rejected; the previous rules stay in force');
    expect(rejected).toMatchObject({ level: 'error', source: 'file', inForce: { source: 'embedded' } });
    expect(String(rejected?.['reason'])).toContain('perUser.ratePerSecond');
    expect((await metrics.render()).body).toContain(
      'couponkill_flow_rules_rejected_total{source="file",service="flow-test"} 1',
    );
    rules.close();
  });

  it('rejects a file that cannot be read the same way', async () => {
    const { logger, metrics, lines } = kit();
    const rules = await FlowRules.start({ logger, metrics, file: '/nonexistent/flow-rules.yaml' });
    expect(rules.current.source).toBe('embedded');
    expect(String(lines.find((l) => l['source'] === 'file')?.['reason'])).toContain('ENOENT');
    rules.close();
  });
});
