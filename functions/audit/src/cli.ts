/**
 * `make audit COUPON=<id> [REPAIR=1] [FORCE=1]` — compares Redis, the outbox, Kafka and
 * MySQL for a coupon, prints the report, and with --repair rebuilds Redis from MySQL when safe.
 */
import { parseArgs } from 'node:util';
import { auditCoupon } from '@couponkill/audit';
import { loadOrExit } from '@couponkill/config';
import { loadAuditConfig } from './config.js';
import { connectAuditDeps } from './deps.js';

const { values } = parseArgs({
  options: {
    coupon: { type: 'string' },
    repair: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  },
});
if (values.coupon === undefined) {
  process.stderr.write('usage: audit --coupon ID [--repair] [--force]\n');
  process.exit(2);
}
const deps = await connectAuditDeps(loadOrExit(() => loadAuditConfig()));
try {
  const report = await auditCoupon(deps, values.coupon, { repair: values.repair, force: values.force });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.verdict === 'CONSISTENT' || report.repaired ? 0 : 1;
} finally {
  await deps.close();
}
