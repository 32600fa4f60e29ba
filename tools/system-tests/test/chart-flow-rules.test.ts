import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowRulesSchema } from '@couponkill/flow';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '@couponkill/servers';

// The chart imports `flowRules` of its values into Nacos as flow-rules.yaml; grab-coupon would
// reject a document its schema refuses and keep the embedded rules, silently for the installer.
describe('the flow rules the chart ships', () => {
  it('helm/couponkill/values.yaml: flowRules is a valid rules document', () => {
    const values = parse(readFileSync(join(REPO_ROOT, 'helm/couponkill/values.yaml'), 'utf8')) as {
      flowRules: unknown;
    };
    expect(flowRulesSchema.safeParse(values.flowRules).error?.issues ?? []).toEqual([]);
  });

  it('config/flow-rules.yaml (make dev) is a valid rules document too', () => {
    const rules = parse(readFileSync(join(REPO_ROOT, 'config/flow-rules.yaml'), 'utf8')) as unknown;
    expect(flowRulesSchema.safeParse(rules).error?.issues ?? []).toEqual([]);
  });
});
