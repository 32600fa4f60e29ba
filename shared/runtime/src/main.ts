#!/usr/bin/env node
// Entry point of every function image: `couponkill-function` with the functions-framework
// environment contract. A bad or missing variable stops startup with one line.
import { loadFunction, startHost, stopHost } from './host.js';

const target = process.env['FUNCTION_TARGET'];
const port = Number(process.env['PORT'] ?? 8080);
if (target === undefined || target === '' || !Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write('couponkill-function: set FUNCTION_TARGET and a valid PORT\n');
  process.exit(1);
}
// `--load-only`: wire the function (with MIGRATE_ON_START, apply its migrations) and exit 0
// without serving — what a migration Job runs, in the same image and with no shell.
if (process.argv.includes('--load-only')) {
  try {
    await loadFunction({ target, source: process.env['FUNCTION_SOURCE'] ?? 'dist/src/index.js' });
    process.stdout.write(`couponkill-function: ${target} loaded (--load-only)\n`);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`couponkill-function: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
try {
  const server = await startHost({
    target,
    source: process.env['FUNCTION_SOURCE'] ?? 'dist/src/index.js',
    port,
    host: process.env['HOST'] ?? '0.0.0.0',
  });
  // Knative drains requests before SIGTERM; finish what is in flight and leave.
  const stop = () => void stopHost(server).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  process.stderr.write(`couponkill-function: ${(err as Error).message}\n`);
  process.exit(1);
}
