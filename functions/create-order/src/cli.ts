/**
 * `make redrive COUPON=<id> [MODE=replay|compensate]` — re-drives a coupon's dead-lettered grabs:
 * replays each through the order writer (the default) or compensates it (FAILED, DEAD_LETTERED),
 * then removes it from the index; prints the report. Safe to rerun.
 */
import { parseArgs } from 'node:util';
import { loadOrExit } from '@couponkill/config';
import { isCouponId } from '@couponkill/sale';
import { openOrderWorker } from './app.js';
import { loadCreateOrderConfig } from './config.js';
import { redriveCoupon } from './dead-letters.js';

const { values } = parseArgs({
  options: {
    coupon: { type: 'string' },
    mode: { type: 'string', default: 'replay' },
  },
});
const mode = values.mode;
if (values.coupon === undefined || !isCouponId(values.coupon) || (mode !== 'replay' && mode !== 'compensate')) {
  process.stderr.write('usage: redrive --coupon ID [--mode replay|compensate]\n');
  process.exit(2);
}
const worker = openOrderWorker(loadOrExit(() => loadCreateOrderConfig()).current, {
  name: 'redrive',
  connections: 2,
});
try {
  const report = await redriveCoupon(worker.redrive, values.coupon, mode);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.kept.length === 0 && report.unreadable.length === 0 ? 0 : 1;
} finally {
  await worker.close();
}
