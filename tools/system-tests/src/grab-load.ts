import { Agent, request } from 'undici';

export interface GrabAttempt {
  readonly userId: string;
  readonly token: string;
}

export interface GrabLoadResult {
  readonly statuses: Record<number, number>;
  readonly acceptedGrabIds: string[];
  readonly codes: Record<string, number>;
  readonly ms: number;
}

/**
 * Sends grab requests, `concurrency` at a time. A burst (a hot user pressing many times) is sent
 * all at once. Returns what the system answered; the invariants are checked from the stores.
 */
export async function fireGrabs(
  baseUrl: string,
  couponId: string,
  waves: ReadonlyArray<readonly GrabAttempt[]>,
  concurrency: number,
): Promise<GrabLoadResult> {
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const statuses: Record<number, number> = {};
  const codes: Record<string, number> = {};
  const acceptedGrabIds: string[] = [];
  const started = performance.now();
  const one = async (attempt: GrabAttempt) => {
    const response = await request(`${baseUrl}/api/v1/coupons/${couponId}/grab`, {
      method: 'POST',
      headers: { authorization: `Bearer ${attempt.token}` },
      dispatcher,
    });
    const body = (await response.body.json()) as { grabId?: string; error?: { code: string } };
    statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    if (response.statusCode === 202 && body.grabId !== undefined) acceptedGrabIds.push(body.grabId);
    const code = body.error?.code ?? 'QUEUED';
    codes[code] = (codes[code] ?? 0) + 1;
  };
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < waves.length) {
      const wave = waves[next++] ?? [];
      await Promise.all(wave.map(one));
    }
  });
  await Promise.all(workers);
  await dispatcher.close();
  return { statuses, codes, acceptedGrabIds, ms: performance.now() - started };
}
