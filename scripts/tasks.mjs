#!/usr/bin/env node
// Every verb of the project (make help lists them; scripts/tasks/verbs.mjs defines them):
//   node scripts/tasks.mjs <verb> [NAME=value…] [args…]
// It runs on the machine's own Node (18 or newer) until `deps` has installed the pinned one, so
// this file only checks the version, in syntax any Node reads, before loading the rest.
var major = Number(process.versions.node.split('.')[0]);
if (major < 18) {
  console.error(
    'Node ' + process.version + ' is too old to run the project tasks: install Node 18 or newer, then run this again',
  );
  process.exit(1);
}
import('./tasks/main.mjs').then(function (m) {
  return m.cli();
});
