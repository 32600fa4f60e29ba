/**
 * `make flow-rules [FILE=config/flow-rules.yaml] [UNCHECKED=1]`: publishes a flow-rules document
 * to the Nacos of a running `make dev` (namespace dev, COUPONKILL/flow-rules.yaml) and reports
 * how long grab-coupon took to apply it, read from its /metrics. The document is validated here
 * first; with --unchecked an invalid one is published anyway, to watch grab-coupon reject it and
 * keep the rules in force.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FLOW_RULES_DATA_ID, parseFlowRules, rulesVersion } from '@couponkill/flow';
import { NacosConfig } from '@couponkill/nacos';
import { DEV_NACOS_NAMESPACE } from '../clients.js';
import { type NacosEndpoint, REPO_ROOT } from '@couponkill/servers';

const args = process.argv.slice(2);
const unchecked = args.includes('--unchecked');
const file = resolve(args.find((a) => !a.startsWith('--')) ?? resolve(REPO_ROOT, 'config/flow-rules.yaml'));
const say = (line: string) => process.stdout.write(`${line}\n`);

let dev: { nacos: NacosEndpoint; functions: Record<string, number> };
try {
  dev = JSON.parse(readFileSync(resolve(REPO_ROOT, '.run/dev/endpoints.json'), 'utf8')) as typeof dev;
} catch {
  say('make dev is not running here (no .run/dev/endpoints.json); start it first.');
  process.exit(1);
}

const text = readFileSync(file, 'utf8');
const parsed = parseFlowRules(text);
if (!parsed.ok && !unchecked) {
  say(
    `${file} is not valid flow rules: ${parsed.reason}\n(publish it anyway with UNCHECKED=1 to see grab-coupon reject it)`,
  );
  process.exit(1);
}

const grabUrl = `http://127.0.0.1:${dev.functions['grab-coupon']}`;
const metrics = async () => (await fetch(`${grabUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
const rejectedCount = (body: string) =>
  Number(/^couponkill_flow_rules_rejected_total\{source="nacos"[^}]*\} (\d+)/m.exec(body)?.[1] ?? 0);
const rejectedBefore = rejectedCount(await metrics());

const nacos = await NacosConfig.connect({ ...dev.nacos, namespace: DEV_NACOS_NAMESPACE });
try {
  const published = performance.now();
  await nacos.publish(FLOW_RULES_DATA_ID, text);
  say(`published ${file} as ${nacos.group}/${FLOW_RULES_DATA_ID} (namespace ${DEV_NACOS_NAMESPACE})`);
  const version = rulesVersion(text);
  for (;;) {
    const body = await metrics();
    const waited = (performance.now() - published).toFixed(0);
    if (parsed.ok && body.includes(`version="${version}"`)) {
      say(`grab-coupon applied it (version ${version}) ${waited} ms after publishing`);
      break;
    }
    if (rejectedCount(body) > rejectedBefore) {
      say(`grab-coupon rejected it ${waited} ms after publishing; the previous rules stay (its log says why)`);
      break;
    }
    if (performance.now() - published > 10_000) {
      say('grab-coupon did not report the change within 10 s');
      process.exitCode = 1;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
} finally {
  nacos.close();
}
