/**
 * `make dev`: the whole system on one machine. Starts the real middleware servers, then the
 * local gateway in front of them, prints where everything listens, and stops it all on Ctrl-C.
 */
import { connectRuntimeClients } from './dev/clients.js';
import { createHealth, pingMysql, pingRedis } from '@couponkill/health';
import { createLogger } from '@couponkill/logging';
import { createMetrics } from '@couponkill/metrics';
import { startGateway } from './gateway/server.js';
import { pickPort, startLocalServers } from './infra/index.js';

const log = createLogger({ name: 'dev' });
const say = (line: string) => process.stdout.write(`${line}\n`);

say('starting Redis, MariaDB, Kafka and Nacos (first run on a new machine also installs them)…');
const servers = await startLocalServers({
  profile: 'dev',
  ports: { redis: 16379, mysql: 13306, kafka: 19092, nacos: 18848 },
  nacosConsole: true,
  log: (line) => say(`  ${line}`),
});
const clients = await connectRuntimeClients(servers.endpoints);

const health = createHealth({ timeoutMs: 1500, cacheMs: 1000 });
health.addCheck('redis', pingRedis(clients.redis));
health.addCheck('mysql', pingMysql(clients.mysql));
health.addCheck('kafka', async () => clients.kafkaAdmin.describeCluster());
health.addCheck('nacos', async () => clients.nacos.get('common.yaml'));

const gatewayPort = await pickPort(8080);
const gateway = await startGateway({
  port: gatewayPort,
  logger: log,
  metrics: createMetrics({ service: 'local-gateway' }),
  health,
  routes: [
    {
      method: 'GET',
      path: '/',
      handler: async () => ({ status: 200, body: { servers: servers.report(), functions: [] } }),
    },
  ],
});

const { redisUrl, mysqlUrl, kafkaBrokers, nacos } = servers.endpoints;
say(`
CouponKill is running (local runtime, no cluster)
  gateway        http://127.0.0.1:${gatewayPort}/            (GET /health/readiness, /metrics)
  redis          ${redisUrl}
  mysql          ${mysqlUrl.replace(/\/\/[^@]*@/, '//')}  (user couponkill / couponkill)
  kafka          ${kafkaBrokers.join(',')}
  nacos          http://${nacos.serverAddr}/nacos  (user ${nacos.username} / ${nacos.password})${servers.nacosConsoleUrl === undefined ? '' : `\n  nacos console  ${servers.nacosConsoleUrl}`}
Press Ctrl-C to stop everything.`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`\n${signal}: stopping…`);
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
  await clients.close();
  await servers.stop();
  say('stopped.');
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
