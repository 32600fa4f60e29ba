/**
 * `make dev`: the whole system on one machine. Starts the real middleware servers, every function
 * as its own process (restarted when its code changes), the local gateway in front of them, and
 * demo data; prints where everything listens, and stops it all on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, verifierFrom } from '@couponkill/auth';
import { consumerLag, createKafka, TOPICS } from '@couponkill/events';
import { checkDependencies, createHealth } from '@couponkill/health';
import { createFunctionKit } from '@couponkill/http';
import { createLogger } from '@couponkill/logging';
import { userShardingSchema } from '@couponkill/users';
import { FLOW_RULES_DATA_ID } from '@couponkill/flow';
import { DeadLetterIndex } from '@couponkill/fn-create-order/dead-letters';
import { connectRuntimeClients, DEV_NACOS_NAMESPACE } from './clients.js';
import { DEMO_ADMIN, DEMO_USERS, seedDemoData } from './demo.js';
import { functionEnvironments, jwksUrl, LOCAL_AUTH_ISSUER } from './environment.js';
import { type FunctionProcess, startFunction } from './functions.js';
import { WorkerPool } from './worker-pool.js';
import { LagScaler } from './scaler/lag-scaler.js';
import { MinScaleFile } from './scaler/min-scale.js';
import { functionsOf, loadRouteTable } from './gateway/route-table.js';
import { KafkaSourceDispatcher } from './kafkasource/dispatcher.js';
import { startGateway } from './gateway/server.js';
import { pickPort, REPO_ROOT, startLocalServers, stateDir } from '@couponkill/servers';

const PROFILE = 'dev';
const log = createLogger({ name: 'dev' });
const say = (line: string) => process.stdout.write(`${line}\n`);

say('starting Redis, MariaDB, Kafka and Nacos (the first run on a new machine also installs them)…');
const servers = await startLocalServers({
  profile: PROFILE,
  ports: { redis: 16379, mysql: 13306, kafka: 19092, nacos: 18848 },
  nacosConsole: true,
  // MariaDB keeps its data across runs of make dev, so Redis must too (the sale state), and it
  // answers a grab only once it is on disk (appendfsync always).
  redisAppendOnly: true,
  log: (line) => say(`  ${line}`),
});
const clients = await connectRuntimeClients(servers.endpoints);
const functions: FunctionProcess[] = [];
const stopFirst: Array<() => Promise<void>> = [];

let stopping = false;
async function shutdown(reason: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`\n${reason}: stopping…`);
  try {
    for (const stop of stopFirst) await stop().catch(() => undefined);
    await Promise.all(functions.map((fn) => fn.process.stop()));
    await clients.close();
    await servers.stop();
    say('stopped.');
  } catch (err) {
    process.stderr.write(
      `make dev: stopping failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    exitCode = 1;
  } finally {
    process.exit(exitCode);
  }
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
// A failure (the start's top-level await lands here too) stops everything that was started. While
// stopping, the start fails because what it needs is going away (Ctrl-C during the demo data's
// seeding): that is no news.
process.on('uncaughtException', (err) => {
  if (stopping) return;
  process.stderr.write(`make dev failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  void shutdown('failed', 1);
});

// Signing keys live with the dev state, so tokens stay valid across restarts of `make dev`.
const keysFile = join(stateDir(PROFILE), 'auth-signing-keys.json');
if (!existsSync(keysFile))
  writeFileSync(keysFile, JSON.stringify([await generateSigningKey('dev-1', true)]), { mode: 0o600 });
const signingKeys = readFileSync(keysFile, 'utf8');

// The flow rules live in Nacos; the repository's default is published once, so a live change
// made there (make flow-rules, the console) survives restarts of make dev.
const flowRulesFile = join(REPO_ROOT, 'config', 'flow-rules.yaml');
if ((await clients.nacos.get(FLOW_RULES_DATA_ID)) === null) {
  await clients.nacos.publish(FLOW_RULES_DATA_ID, readFileSync(flowRulesFile, 'utf8'));
  say(`  published ${flowRulesFile} to Nacos as ${clients.nacos.group}/${FLOW_RULES_DATA_ID}`);
}

const table = loadRouteTable();
const gatewayPort = await pickPort(8080);
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const jobToken = readOrCreateSecret(join(stateDir(PROFILE), 'job-token'));
const common = {
  MYSQL_URL: servers.endpoints.mysqlUrl,
  REDIS_URL: servers.endpoints.redisUrl,
  AUTH_ISSUER: LOCAL_AUTH_ISSUER,
  LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
};
/** Each function's environment, as its container gets it in the cluster; started in this order. */
const envOf = functionEnvironments({
  endpoints: servers.endpoints,
  signingKeys,
  jobToken,
  nacosNamespace: DEV_NACOS_NAMESPACE,
  logLevel: common.LOG_LEVEL,
});
for (const name of functionsOf(table)) {
  if (envOf[name] === undefined)
    throw new Error(`${name} has public routes, but its manifest says make dev does not start it (dev.start)`);
}

const upstreams = new Map<string, number>();
for (const [name, env] of Object.entries(envOf)) {
  say(`  starting function ${name}…`);
  const fn = await startFunction(name, { profile: PROFILE, env: env(upstreams), watch: true });
  functions.push(fn);
  upstreams.set(name, fn.port);
}

// The order worker's replicas, scaled on consumer lag the way KEDA scales them in the cluster.
const firstWorker = functions.find((fn) => fn.name === 'create-order');
if (firstWorker === undefined) throw new Error('create-order did not start');
const workers = new WorkerPool(
  () => startFunction('create-order', { profile: PROFILE, env: { ...common, LOG_LEVEL: 'warn' } }),
  [firstWorker],
);
const kafka = createKafka({ brokers: servers.endpoints.kafkaBrokers, clientId: 'kafkasource', logger: log });
// The KafkaSource in front of the order worker.
const source = new KafkaSourceDispatcher({
  name: 'create-order-source',
  kafka,
  groupId: 'create-order',
  topics: [TOPICS.grabAccepted],
  sink: () => workers.nextUrl(),
  deadLetterTopic: TOPICS.grabAcceptedDlq,
  // A dead-lettered grab still holds its unit: indexed per coupon for make redrive and audit.
  deadLetterIndex: new DeadLetterIndex(clients.redis),
  ordering: 'unordered',
  retry: 10,
  backoffDelayMs: 200,
  backoffPolicy: 'exponential',
  logger: log,
});
await source.start();
const minScale = new MinScaleFile(join(stateDir(PROFILE), 'min-scale.json'));
minScale.set('create-order', undefined); // a minimum left by an interrupted sale does not outlive it
const scaler = new LagScaler({
  policy: {
    lagThreshold: 200,
    activationLagThreshold: 10,
    minReplicas: 1,
    maxReplicas: 4,
    partitions: 12,
    cooldownMs: 30_000,
  },
  lag: async () => (await consumerLag(clients.kafkaAdmin, 'create-order', TOPICS.grabAccepted)).total,
  scaleTo: (n) => workers.scaleTo(n),
  initialReplicas: 1,
  pollingMs: 1000,
  // `make sale` raises the worker minimum here during a sale, as the operator does on the KafkaSource.
  floor: () => minScale.get('create-order'),
  logger: log,
  onScale: (line) => say(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
});
scaler.start();
stopFirst.push(
  async () => scaler.stop(),
  () => source.stop(),
  () => workers.scaleTo(0),
);

// Its checks wait on the functions' own readiness (1 s each), so they get longer than a function's.
const gateway = createFunctionKit('local-gateway', {
  logger: log,
  health: createHealth({ timeoutMs: 1500, cacheMs: 1000 }),
});
checkDependencies(gateway.health, { redis: clients.redis, mysql: clients.mysql, kafka: clients.kafkaAdmin });
gateway.health.addCheck('nacos', async () => clients.nacos.get('common.yaml'));
for (const fn of functions) {
  gateway.health.addCheck(fn.name, async () => {
    const response = await fetch(`http://127.0.0.1:${fn.port}/health/readiness`);
    if (response.status !== 200) throw new Error(`readiness ${response.status}`);
  });
}
await startGateway({
  port: gatewayPort,
  kit: gateway,
  upstreams,
  table,
  verify: verifierFrom({ issuer: common.AUTH_ISSUER, audience: 'couponkill', jwksUrl: jwksUrl(upstreams) }),
  routes: [
    {
      method: 'GET',
      path: '/',
      handler: async () => ({
        status: 200,
        body: {
          servers: servers.report(),
          functions: functions.map((fn) => ({ name: fn.name, port: fn.port, pid: fn.process.pid })),
        },
      }),
    },
  ],
});
const coupons = await seedDemoData(gatewayUrl, servers.endpoints.mysqlUrl, userShardingSchema.parse({}));

// Where everything listens, for tools run beside make dev (make loadtest, make audit).
writeFileSync(
  join(stateDir(PROFILE), 'endpoints.json'),
  JSON.stringify(
    { gatewayUrl, ...servers.endpoints, functions: Object.fromEntries(upstreams), signingKeysFile: keysFile },
    null,
    2,
  ),
);
const { redisUrl, mysqlUrl, kafkaBrokers, nacos } = servers.endpoints;
const logs = stateDir(PROFILE, 'functions');
say(`
CouponKill is running (local runtime, no cluster)
  gateway        ${gatewayUrl}/   (the ingress: /api/v1/…, /openapi.json, /health/readiness, /metrics)
${functions.map((fn) => `  ${fn.name.padEnd(14)} http://127.0.0.1:${fn.port}   log ${join(logs, `${fn.name}.log`)}`).join('\n')}
  redis          ${redisUrl}
  mysql          ${mysqlUrl.replace(/\/\/[^@]*@/, '//')}   (user couponkill / couponkill)
  kafka          ${kafkaBrokers.join(',')}
  nacos          http://${nacos.serverAddr}/nacos   (user ${nacos.username} / ${nacos.password})${servers.nacosConsoleUrl === undefined ? '' : `\n  nacos console  ${servers.nacosConsoleUrl}`}

Demo accounts: admin ${DEMO_ADMIN.username} / ${DEMO_ADMIN.password}; users ${DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}
  curl -s ${gatewayUrl}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"${DEMO_ADMIN.username}","password":"${DEMO_ADMIN.password}"}'
Demo coupons: ${coupons.map((c) => `${c.name} (${c.id})`).join(', ')}
  TOKEN=$(curl -s ${gatewayUrl}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"alice","password":"alice-password"}' | jq -r .accessToken)
  curl -s -X POST ${gatewayUrl}/api/v1/coupons/${coupons[0]?.id ?? '<id>'}/grab -H "authorization: Bearer $TOKEN"
Flow rules: Nacos ${clients.nacos.group}/${FLOW_RULES_DATA_ID} (namespace ${DEV_NACOS_NAMESPACE}); change them live: make flow-rules FILE=config/flow-rules.yaml
Jobs: curl -s -X POST http://127.0.0.1:${upstreams.get('orders')}/jobs/expire-orders -H "authorization: Bearer ${jobToken}"
Functions restart when their code changes. Press Ctrl-C to stop everything.`);

/** A random secret kept with the dev state (so it survives restarts of make dev). */
function readOrCreateSecret(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
