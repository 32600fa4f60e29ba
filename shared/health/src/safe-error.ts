const MAX_LENGTH = 120;

/**
 * A one-line description of a failed check that is safe to return from an unauthenticated probe
 * endpoint: the error's `code` (e.g. `ECONNREFUSED`) when it has one, otherwise the first line of
 * its message, truncated. Never a stack, which would reveal paths and versions.
 */
export function safeErrorMessage(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  let text: string;
  if ((typeof code === 'string' && code !== '') || typeof code === 'number') text = String(code);
  else if (err instanceof Error) text = err.message || err.name;
  else text = typeof err === 'string' ? err : 'check failed';
  const firstLine = text.split(/\r?\n/, 1)[0]?.trim() || 'check failed';
  return firstLine.length > MAX_LENGTH ? `${firstLine.slice(0, MAX_LENGTH - 1)}…` : firstLine;
}
