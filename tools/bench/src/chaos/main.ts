/**
 * `make chaos [SEED=…] [SCHEDULES=…]`: sales through the gateway of the local runtime while a
 * seeded random schedule injects faults and admin actions, then the books of each sale. Prints
 * one line per fault and action, one all-counters line per schedule, and the tally of what the
 * schedules covered. Exit status 1 when any schedule's books are not clean.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runCampaign } from './campaign.js';
import { ChaosRuntime } from './runtime.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '' },
    schedules: { type: 'string', default: '' },
    'sale-seconds': { type: 'string', default: '' },
    'settle-seconds': { type: 'string', default: '' },
  },
});
const optionsSchema = z.object({
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  schedules: z.coerce.number().int().min(1).max(10_000),
  saleSeconds: z.coerce.number().int().min(5).max(600),
  settleSeconds: z.coerce.number().int().min(5).max(600),
});
const orDefault = (value: string | undefined, fallback: number) =>
  value === undefined || value === '' ? fallback : value;
const parsed = optionsSchema.safeParse({
  seed: orDefault(values.seed, Math.floor(Math.random() * 1_000_000)),
  schedules: orDefault(values.schedules, 10),
  saleSeconds: orDefault(values['sale-seconds'], 25),
  settleSeconds: orDefault(values['settle-seconds'], 45),
});
if (!parsed.success) {
  process.stderr.write(`make chaos: ${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const options = parsed.data;
const say = (line: string) => process.stdout.write(`${line}\n`);

say(`chaos campaign: seed ${options.seed}, ${options.schedules} schedules, sale ${options.saleSeconds} s each`);
const runtime = await ChaosRuntime.start({ profile: `chaos-${process.pid}`, log: (line) => say(`  ${line}`) });
let stopping = false;
let stopped: Promise<never> | undefined;
/** Stops the runtime once (Ctrl-C may come while a schedule still runs) and exits. */
const stop = (code: number, keepState: boolean): Promise<never> => {
  stopped ??= runtime.stop({ keepState }).then(() => process.exit(code));
  return stopped;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`\n${signal}: stopping every server and function…`);
    stopping = true;
    void stop(130, false);
  });
}
try {
  const { results, tally } = await runCampaign(
    runtime,
    {
      seed: options.seed,
      schedules: options.schedules,
      saleMs: options.saleSeconds * 1000,
      settleMs: options.settleSeconds * 1000,
      stopped: () => stopping,
    },
    say,
  );
  say('');
  say(`seed ${options.seed}: ${results.length} schedules`);
  for (const r of results) say(r.line);
  for (const line of tally.lines()) say(line);
  if (tally.schedules >= 50) {
    const thin = tally.below(5);
    say(
      thin.length === 0
        ? 'every kind appeared in at least 5 schedules'
        : `in fewer than 5 schedules: ${thin.join(', ')}`,
    );
  }
  const failing = results.filter((r) => !r.clean);
  say(
    failing.length === 0
      ? `all ${results.length} schedules clean`
      : `${failing.length} of ${results.length} schedules NOT clean; rerun one: ${failing
          .slice(0, 5)
          .map((r) => `make chaos SEED=${r.seed} SCHEDULES=1`)
          .join(' | ')}`,
  );
  await stop(failing.length === 0 ? 0 : 1, failing.length > 0);
} catch (err) {
  if (stopping) await stop(130, false);
  say(`chaos campaign failed: ${(err as Error).stack ?? String(err)}`);
  await stop(1, true);
}
