/**
 * `make sale FILE=operator/examples/seckill.yaml [ARGS='--start-in 20 --open-for 60']` — runs one
 * sale's lifecycle against a running `make dev`, through the same controller and lifecycle as the
 * operator in a cluster, with local adapters: the Seckill is the file, the status is printed (and
 * kept in .run/dev/sales/), and the order worker's minimum goes to make dev's lag scaler.
 * A development tool, kept with the dev runtime: the operator package itself depends on shared
 * packages only, so its image holds none of tools/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { stateDir } from '@couponkill/servers';
import { createLogger } from '@couponkill/logging';
import { NacosConfig } from '@couponkill/nacos';
import {
  Controller,
  connectSaleBackend,
  NacosFlowRules,
  operatorConfigSchema,
  StatusOnlyFlowRules,
} from '@couponkill/operator';
import { MinScaleFile } from '../scaler/index.js';
import { LocalScaler } from './scaler.js';
import { FileSeckillStore, parseSeckillFile } from './store.js';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    'start-in': { type: 'string' },
    'open-for': { type: 'string' },
    'refresh-ms': { type: 'string', default: '1000' },
  },
});
if (values.file === undefined || values.file === '') {
  process.stderr.write('usage: make sale FILE=operator/examples/seckill.yaml [ARGS="--start-in 20 --open-for 60"]\n');
  process.exit(2);
}
const file = values.file;
const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const endpointsFile = join(stateDir('dev'), 'endpoints.json');
if (!existsSync(endpointsFile)) {
  process.stderr.write(
    'make sale runs against a running make dev (no .run/dev/endpoints.json): start make dev first\n',
  );
  process.exit(2);
}
const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as {
  redisUrl: string;
  mysqlUrl: string;
  kafkaBrokers: string[];
  nacos?: { serverAddr: string; username: string; password: string };
};
const config = operatorConfigSchema.parse({
  mysqlUrl: endpoints.mysqlUrl,
  redis: { url: endpoints.redisUrl },
  kafkaBrokers: endpoints.kafkaBrokers,
  refreshMs: Number(values['refresh-ms']),
});

// A demo window relative to now: fixed once here, so re-reading the file does not move it.
const { name, spec } = parseSeckillFile(readFileSync(file, 'utf8'));
const startIn = values['start-in'] === undefined ? undefined : Number(values['start-in']) * 1000;
const openFor = values['open-for'] === undefined ? undefined : Number(values['open-for']) * 1000;
const start = startIn === undefined ? Date.parse(spec.window.start) : Date.now() + startIn;
const end =
  openFor === undefined
    ? startIn === undefined
      ? Date.parse(spec.window.end)
      : start + (Date.parse(spec.window.end) - Date.parse(spec.window.start))
    : start + openFor;
const window = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };

const salesDir = join(stateDir('dev'), 'sales');
mkdirSync(salesDir, { recursive: true });
const store = new FileSeckillStore({
  file,
  statusFile: join(salesDir, `${name}.status.yaml`),
  log: say,
  adjust: (s) => ({ ...s, window }),
});
const connection = await connectSaleBackend(config);
const backend = connection.backend;
const logger = createLogger({ name: 'sale', level: 'warn' });
// make dev keeps its configuration in the Nacos namespace `dev` (tools/dev/src/clients.ts).
const nacos =
  endpoints.nacos === undefined ? undefined : await NacosConfig.connect({ ...endpoints.nacos, namespace: 'dev' });
const controller = new Controller({
  store,
  backend,
  scaler: new LocalScaler(new MinScaleFile(join(stateDir('dev'), 'min-scale.json')), say),
  // make dev's Nacos holds flow-rules.yaml, which grab-coupon applies live.
  flowRules: nacos === undefined ? new StatusOnlyFlowRules() : new NacosFlowRules(nacos),
  logger,
  refreshMs: config.refreshMs,
  pollMs: 200,
});
if (store.status.phase !== undefined) {
  say(`resuming sale ${name} in phase ${store.status.phase} (coupon ${store.status.couponId ?? '?'})`);
}
say(
  `sale ${name}: ${spec.stock} units, window ${window.start} → ${window.end}, warm-up ${spec.prewarmSeconds} s before`,
);
let shown = '';
let stopping = false;
process.once('SIGINT', () => (stopping = true));
try {
  for (;;) {
    await controller.pass();
    const s = store.status;
    const line = `${s.phase ?? 'Pending'}: sold ${s.sold ?? 0}, remaining ${s.remaining ?? spec.stock}, orders durable ${s.ordersDurable ?? 0}, lag ${s.lag ?? 0}, outbox ${s.outbox ?? 0}`;
    if (line !== shown) say((shown = line));
    if (s.phase === 'Audited' || s.phase === 'Failed' || stopping) break;
    await sleep(200);
  }
  const s = store.status;
  if (stopping && s.phase !== 'Audited' && s.phase !== 'Failed') {
    say(`interrupted in phase ${s.phase ?? 'Pending'}; the same command resumes it`);
  }
  say(
    `${s.phase}: ${s.message ?? s.reason ?? ''}${s.report === undefined ? '' : `\n${JSON.stringify(s.report, null, 2)}`}`,
  );
  process.exitCode = s.phase === 'Audited' ? 0 : 1;
} finally {
  await connection.close();
  nacos?.close();
}
