// The load generator of `make bench`'s whole sale (P4), in a process of its own (the orchestrator
// pins it like loadgen.ts): every press of the sale sent once, in the given order, over
// `connections` keep-alive connections with autocannon (`amount` = the presses). Each press
// carries its user's own authorization; a user's presses are next to each other in the order, so
// they go out at about the same time on different connections. Run with plain node (Node 24
// strips the types): it imports nothing but autocannon, node builtins and types.
// The job comes as JSON in argv[2]; `{ phase: 'progress', … }` every `progressMs` and one
// `{ phase: 'done', … }` go back over the IPC channel. Times are epoch milliseconds
// (performance.timeOrigin + now), comparable with the orchestrator's.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { SaleLoadJob, SaleLoadProgress, SaleLoadResult } from './load.js';

const job = JSON.parse(process.argv[2] ?? '{}') as SaleLoadJob;
/** The Authorization header of each user. */
const users = JSON.parse(readFileSync(job.usersFile, 'utf8')) as string[];
/** The user (index into `users`) of each press, in send order. */
const presses = JSON.parse(readFileSync(job.pressesFile, 'utf8')) as number[];
const now = () => performance.timeOrigin + performance.now();

let next = 0;
let answered = 0;
let lastAnswerAtMs = 0;
const statuses: Record<string, number> = {};
const grabIds: string[] = [];
const requests: autocannon.Request[] = [
  {
    method: 'POST',
    path: job.path,
    setupRequest: (request) => ({
      ...request,
      headers: { ...request.headers, authorization: users[presses[next++] ?? 0] ?? '' },
    }),
    onResponse: (status, body) => {
      answered += 1;
      lastAnswerAtMs = now();
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (job.grabIdStatus !== undefined && status === job.grabIdStatus) {
        const grabId = (JSON.parse(body) as { grabId?: unknown }).grabId;
        if (typeof grabId === 'string') grabIds.push(grabId);
      }
    },
  },
];

const send = (message: SaleLoadProgress | (Omit<SaleLoadResult, 'loadgenCores'> & { phase: 'done' })) =>
  new Promise<void>((resolve, reject) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify({ ...message, grabIds: undefined })}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, (err: Error | null) => (err ? reject(err) : resolve()));
  });

try {
  const cpuBefore = process.cpuUsage();
  const startedAtMs = now();
  const progress = setInterval(
    () => void send({ phase: 'progress', answered, statuses: { ...statuses } }).catch(() => undefined),
    job.progressMs,
  );
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        connections: Math.min(job.connections, presses.length),
        amount: presses.length,
        timeout: job.timeoutSeconds,
        requests,
      },
      (err: unknown, r) =>
        err ? reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`)) : resolve(r),
    );
  });
  clearInterval(progress);
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = (now() - startedAtMs) / 1000;
  await send({
    phase: 'done',
    presses: presses.length,
    answered,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    startedAtMs,
    lastAnswerAtMs,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    grabIds,
    loadgenCpuShare: (cpu.user + cpu.system) / 1e6 / wallSeconds,
  });
  process.exit(0);
} catch (err) {
  process.stderr.write(`sale-loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
