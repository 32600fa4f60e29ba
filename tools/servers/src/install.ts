import { spawn } from 'node:child_process';

/**
 * Runs a long install step, streaming its output with a prefix and printing a heartbeat every
 * 15 s, so a cold machine shows what it is doing instead of going quiet for minutes.
 */
export async function runInstallStep(
  what: string,
  command: string,
  args: readonly string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    log: (line: string) => void;
    showOutput?: (line: string) => boolean;
  },
): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  const heartbeat = setInterval(() => options.log(`${what}: still working (${elapsed()})`), 15_000);
  const tail: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() === '') continue;
          tail.push(line);
          if (tail.length > 30) tail.shift();
          if (options.showOutput?.(line) === true) options.log(`${what}: ${line.trim()}`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}):\n${tail.join('\n')}`)),
      );
    });
  } finally {
    clearInterval(heartbeat);
  }
  options.log(`${what}: done in ${elapsed()}`);
}
