/**
 * vitest globalSetup of the integration project: starts real Redis, MariaDB, Kafka and Nacos
 * once per run (or uses the ones named by REDIS_URL, MYSQL_URL, KAFKA_BROKERS, NACOS_SERVER_ADDR)
 * and stops them when the run ends, also when tests fail.
 */
import type { TestProject } from 'vitest/node';
import type {} from '@couponkill/testkit'; // declares the `endpoints` value provided to tests
import { endpointsFromEnv, removeStateDir, startLocalServers } from '@couponkill/servers';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const profile = `test-${process.pid}`;
  const started = Date.now();
  const servers = await startLocalServers({
    profile,
    given: endpointsFromEnv(),
    log: (line) => process.stderr.write(`[servers] ${line}\n`),
  }).catch((err: unknown) => {
    removeStateDir(profile);
    throw err;
  });
  const summary = servers
    .report()
    .map((s) => `${s.name}${s.given ? ' (given)' : ` ${s.startMs} ms, ${s.rssMb ?? '?'} MB`}`)
    .join(', ');
  process.stderr.write(`[servers] ready in ${Date.now() - started} ms: ${summary}\n`);
  project.provide('endpoints', servers.endpoints);
  return async () => {
    await servers.stop();
    removeStateDir(profile);
  };
}
