import { type DestinationStream, type LevelWithSilent, type Logger, pino, stdTimeFunctions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The service (function) name, stamped on every line as `service`. */
  readonly name: string;
  /** Overrides `LOG_LEVEL`; `info` when neither is set. */
  readonly level?: LevelWithSilent;
  /** Where JSON lines go; stdout when omitted. Tests pass an in-memory stream. */
  readonly destination?: DestinationStream;
}

/**
 * Paths whose values never reach a log line. `*.x` only matches one level down, so the top-level
 * keys are listed too for code that logs `{ token }` directly.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.token',
  'password',
  'token',
];

const LEVELS = new Set<string>([...Object.keys(pino.levels.values), 'silent']);

export function createLogger(options: LoggerOptions): Logger {
  const fromEnv = process.env['LOG_LEVEL']?.trim().toLowerCase();
  const wanted = options.level ?? (fromEnv === '' ? undefined : fromEnv) ?? 'info';
  // A typo in LOG_LEVEL should not stop a function from starting; it is reported once below.
  const level = LEVELS.has(wanted) ? wanted : 'info';

  const logger = pino(
    {
      level,
      base: { service: options.name },
      timestamp: stdTimeFunctions.isoTime,
      // Level names instead of numbers, so `kubectl logs | grep error` and log queries just work.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS] },
    },
    options.destination,
  );
  if (level !== wanted) logger.warn({ LOG_LEVEL: wanted }, 'unknown LOG_LEVEL, using info');
  return logger;
}
