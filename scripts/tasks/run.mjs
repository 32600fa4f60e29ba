// Process helpers of the task runner: where the project and its per-user cache live, which Node
// runs the project, and running programs from argument arrays (never a shell string), so the
// same verbs run on Linux, macOS and Windows.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WINDOWS = process.platform === 'win32';
export const LINUX = process.platform === 'linux';

// Downloads and builds live per user, outside the clone, so a fresh clone starts warm.
export const CACHE =
  process.env.COUPONKILL_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'couponkill');
export const NODE_VERSION = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
export const NODE_HOME = join(CACHE, `node-${NODE_VERSION}`);

/** A failure whose message is all the user needs; the runner prints it and exits with `code`. */
export class TaskError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

export const say = (line) => console.error(`\u001b[1;34m==>\u001b[0m ${line}`);
export const warn = (line) => console.error(`\u001b[1;33m!!\u001b[0m ${line}`);
export const die = (line) => {
  throw new TaskError(line);
};

/** The directory of an executable `name` on PATH (with Windows' extensions), or undefined. */
export function which(name, path = pathOf(process.env)) {
  const exts = WINDOWS ? (process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    for (const ext of exts) {
      const file = join(dir, name + ext);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function pathKey(env) {
  return Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
}
export function pathOf(env) {
  return env[pathKey(env)] ?? '';
}
/** `env` with `dirs` in front of its PATH (Windows spells the key Path). */
export function withPath(env, ...dirs) {
  const key = pathKey(env);
  return { ...env, [key]: [...dirs, env[key] ?? ''].join(delimiter) };
}

/** The Node that runs the project: the pinned one once installed, else the one running this. */
export function nodeBin() {
  const pinned = join(NODE_HOME, 'bin', 'node');
  return !WINDOWS && existsSync(pinned) ? pinned : process.execPath;
}

/** The environment every program of a verb gets (what the Makefile exported before). */
export function projectEnv(vars = {}) {
  return {
    ...withPath(process.env, join(NODE_HOME, 'bin')),
    ...vars,
    // kafkajs 2.2.4 schedules a timer with a negative delay on Node >= 23 (harmless, clamped to 1 ms).
    NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
}

/** The JavaScript file of an installed package's command (its .bin shims are shell scripts on Windows). */
export function binOf(pkg, command = pkg) {
  const dir = join(ROOT, 'node_modules', pkg);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    throw new TaskError(`${pkg} is not installed: run make deps (or npm run deps) first`);
  }
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[command];
  if (bin === undefined) throw new TaskError(`${pkg} has no command ${command}`);
  return join(dir, bin);
}

/** npm as a command line: on Windows npm is a .cmd, which Node spawns only through a shell. */
export function npmCommand(node = process.execPath) {
  if (!WINDOWS) return ['npm'];
  const cli = process.env.npm_execpath || join(dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return [node, cli];
}

function describe(file, args) {
  return [file, ...args].join(' ');
}

/**
 * Runs a program to its end with the terminal attached (or `stdio` given) and returns its exit
 * status; `check` turns a non-zero status into a TaskError carrying that status.
 */
export function runSync(file, args, { cwd = ROOT, env = projectEnv(), stdio = 'inherit', check = true } = {}) {
  const result = spawnSync(file, args, { cwd, env, stdio });
  if (result.error) {
    if (result.error.code === 'ENOENT') throw new TaskError(`${file} is not installed (or not on PATH)`);
    throw result.error;
  }
  const status = result.status ?? 128 + (signalNumber(result.signal) ?? 1);
  if (check && status !== 0) throw new TaskError(`failed (exit ${status}): ${describe(file, args)}`, status);
  return status;
}

/** Runs a program and returns its stdout (stderr reaches the terminal); fails on a non-zero status. */
export function capture(file, args, { cwd = ROOT, env = projectEnv() } = {}) {
  const result = spawnSync(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new TaskError(`failed (exit ${result.status}): ${describe(file, args)}`, result.status ?? 1);
  return result.stdout;
}

function signalNumber(signal) {
  return signal ? { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] : undefined;
}

/**
 * Runs a long-lived program (make dev, servers, a sale): the runner stays out of its way until it
 * exits and then exits with its status. Ctrl-C reaches the program from the terminal itself, so it
 * is not forwarded a second time; SIGTERM and SIGHUP are.
 */
export function exec(file, args, { cwd = ROOT, env = projectEnv() } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: 'inherit' });
    const ignore = () => undefined;
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    if (!WINDOWS) process.on('SIGHUP', forward);
    child.on('error', (err) =>
      reject(err.code === 'ENOENT' ? new TaskError(`${file} is not installed (or not on PATH)`) : err),
    );
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      resolve(code ?? 128 + (signalNumber(signal) ?? 1));
    });
  });
}

/** Runs as root directly, otherwise through sudo when it exists. */
export function asRoot(file, args, options) {
  if (process.getuid?.() === 0) return runSync(file, args, options);
  if (which('sudo') !== undefined) return runSync('sudo', [file, ...args], options);
  throw new TaskError(`need root to run: ${describe(file, args)} (install it yourself, or run as root)`);
}
