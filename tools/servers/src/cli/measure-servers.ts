/**
 * `npm run measure:servers` — starts each server alone, three times, and prints start time
 * (spawn → answering real requests) and RSS. Point COUPONKILL_CACHE at an empty folder to
 * measure a cold machine (downloads, template data directories, Kafka's CDS archive).
 */
import {
  removeStateDir,
  rssMb,
  type RunningServer,
  startKafka,
  startMariadb,
  startNacos,
  startRedis,
} from '../index.js';

type Starter = (profile: string) => Promise<RunningServer<unknown>>;
const starters: Record<string, Starter> = {
  redis: (profile) => startRedis({ profile }),
  mariadb: (profile) => startMariadb({ profile }),
  kafka: (profile) => startKafka({ profile }),
  nacos: (profile) => startNacos({ profile }),
};
const runs = Number(process.env['RUNS'] ?? 3);
const rows: Array<Record<string, string | number>> = [];
for (const [name, start] of Object.entries(starters)) {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const profile = `measure-${process.pid}-${name}`;
    const t0 = performance.now();
    const server = await start(profile);
    times.push(Math.round(performance.now() - t0));
    rss = Math.max(rss, rssMb(server.process?.pid ?? 0) ?? 0);
    await server.process?.stop(20_000);
    removeStateDir(profile);
  }
  rows.push({
    server: name,
    'first start ms': times[0] ?? 0,
    'later starts ms': times.slice(1).join(', '),
    'rss MB': rss,
  });
}
console.table(rows);
