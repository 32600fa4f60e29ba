import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCodesOf } from '@couponkill/http';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@couponkill/servers';
import { buildOpenApi, CONTRACTS, renderOpenApi } from '../src/document.js';

type Operation = {
  responses: Record<string, { content?: Record<string, { example?: unknown; examples?: Record<string, unknown> }> }>;
};

describe('the OpenAPI document', () => {
  it('docs/openapi.json is what the routes generate (else run make openapi)', () => {
    const committed = readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8');
    const generated = renderOpenApi();
    if (committed !== generated) {
      const a = committed.split('\n');
      const b = generated.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      expect.fail(
        `docs/openapi.json drifted from the route contracts at line ${line + 1}:\n` +
          `  file: ${a[line] ?? '(end)'}\n  code: ${b[line] ?? '(end)'}\nRun \`make openapi\` and commit the result.`,
      );
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(buildOpenApi());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('covers every route of every function, each with an example answer and every error code it may give', () => {
    const doc = buildOpenApi() as { paths: Record<string, Record<string, Operation>> };
    const contracts = Object.values(CONTRACTS).flat();
    expect(contracts.length).toBeGreaterThanOrEqual(20);
    for (const contract of contracts) {
      const path = contract.path.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[contract.method.toLowerCase()];
      expect(op, `${contract.method} ${contract.path}`).toBeDefined();
      const success = Object.entries(op?.responses ?? {}).filter(([status]) => Number(status) < 300);
      expect(success.length, `${contract.operationId} success answers`).toBeGreaterThan(0);
      for (const [status, response] of success) {
        if (status === '204') continue;
        expect(
          Object.values(response.content ?? {})[0]?.example,
          `${contract.operationId} ${status} example`,
        ).toBeDefined();
      }
      for (const code of errorCodesOf(contract)) {
        const examples = Object.values(op?.responses ?? {}).flatMap((r) =>
          Object.keys(r.content?.['application/json']?.examples ?? {}),
        );
        expect(examples, `${contract.operationId} documents ${code}`).toContain(code);
      }
    }
  });
});
