import { Agent, request } from 'undici';

/** One stream of grab requests: who sends each, to which coupon, how hard. */
export interface FloodStream {
  readonly couponId: string;
  /** The bearer token and the client address (as the ingress appends it to X-Forwarded-For) of the next request. */
  readonly next: () => { readonly token: string; readonly ip: string };
  /** Loops sending back to back. */
  readonly concurrency: number;
  /** A pause after each answer (a person pressing now and then); none = a flood. */
  readonly pauseMs?: number;
  /** A pause before the first request (spreads people who would otherwise start in step). */
  readonly startAfterMs?: number;
}

export interface FloodTally {
  sent: number;
  readonly statuses: Record<number, number>;
  readonly acceptedGrabIds: string[];
  /** The distinct `Retry-After` values of the 429 answers. */
  readonly retryAfter: Set<string>;
  /** One 429 answer's body, to check its shape. */
  limitedBody: unknown;
}

/** Runs every stream at once for `durationMs` and tallies what each was answered. */
export async function flood<K extends string>(
  baseUrl: string,
  streams: Readonly<Record<K, FloodStream>>,
  durationMs: number,
): Promise<Record<K, FloodTally>> {
  const total = Object.values<FloodStream>(streams).reduce((n, s) => n + s.concurrency, 0);
  const dispatcher = new Agent({ connections: total, pipelining: 1 });
  const until = performance.now() + durationMs;
  const tallies = {} as Record<K, FloodTally>;
  const loops: Promise<void>[] = [];
  for (const name of Object.keys(streams) as K[]) {
    const stream = streams[name];
    const tally: FloodTally = {
      sent: 0,
      statuses: {},
      acceptedGrabIds: [],
      retryAfter: new Set(),
      limitedBody: undefined,
    };
    tallies[name] = tally;
    for (let i = 0; i < stream.concurrency; i++) {
      loops.push(
        (async () => {
          if (stream.startAfterMs !== undefined) await sleep(stream.startAfterMs);
          while (performance.now() < until) {
            const who = stream.next();
            const response = await request(`${baseUrl}/api/v1/coupons/${stream.couponId}/grab`, {
              method: 'POST',
              headers: { authorization: `Bearer ${who.token}`, 'x-forwarded-for': who.ip },
              dispatcher,
            });
            const body = (await response.body.json()) as { grabId?: string };
            tally.sent++;
            tally.statuses[response.statusCode] = (tally.statuses[response.statusCode] ?? 0) + 1;
            if (response.statusCode === 202 && body.grabId !== undefined) tally.acceptedGrabIds.push(body.grabId);
            if (response.statusCode === 429) {
              tally.retryAfter.add(String(response.headers['retry-after']));
              tally.limitedBody ??= body;
            }
            if (stream.pauseMs !== undefined) await sleep(stream.pauseMs);
          }
        })(),
      );
    }
  }
  await Promise.all(loops);
  await dispatcher.close();
  return tallies;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
