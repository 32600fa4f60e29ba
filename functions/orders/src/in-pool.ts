/**
 * Runs `work` over `items` with at most `concurrency` at once. After the first failure no new
 * item is started; the ones already running finish, then that first error is thrown. (The
 * expiry job stops this way when Redis fails, instead of expiring a whole batch whose units it
 * cannot give back.)
 */
export async function inPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
