/**
 * A configuration problem found at startup or on a live update. The message is one line that
 * names every bad key and where its value came from, never the value itself (it may be secret).
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Runs `load` and, on a ConfigError, prints its one-line message and exits with status 1,
 * which is what a container platform shows as the reason a revision failed to start.
 */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
