/**
 * `npm run servers` — starts Redis, MariaDB, Kafka and Nacos in the foreground, prints where
 * they listen and the environment that points tests at them, and stops them all on Ctrl-C.
 *   npm run servers              keep running (reuse from another shell via the printed env)
 *   npm run servers -- --once    start, report timings and RSS, stop (used to measure)
 */
import { removeStateDir, startLocalServers } from '../index.js';

const once = process.argv.includes('--once');
const profile = once ? `measure-${process.pid}` : 'servers';
const t0 = Date.now();
const servers = await startLocalServers({ profile, log: (line) => console.log(`  ${line}`) });
console.log(`\nall servers ready in ${Date.now() - t0} ms`);
console.table(servers.report());
const { redisUrl, mysqlUrl, kafkaBrokers, nacos } = servers.endpoints;
console.log(
  [
    `export REDIS_URL=${redisUrl}`,
    `export MYSQL_URL=${mysqlUrl}`,
    `export KAFKA_BROKERS=${kafkaBrokers.join(',')}`,
    `export NACOS_SERVER_ADDR=${nacos.serverAddr} NACOS_USERNAME=${nacos.username} NACOS_PASSWORD=${nacos.password}`,
  ].join('\n'),
);
const shutdown = async () => {
  console.log('stopping servers…');
  await servers.stop();
  if (once) removeStateDir(profile);
  process.exit(0);
};
if (once) await shutdown();
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
