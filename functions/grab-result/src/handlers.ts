import { authenticate, type Verify } from '@couponkill/auth';
import { AppError } from '@couponkill/errors';
import { type HttpRequest, implement, type Route } from '@couponkill/http';
import type { GrabRecord } from '@couponkill/sale';
import { getGrabContract, grabEventsContract } from './contract.js';
import type { GrabReader } from './grabs.js';
import type { GrabStreams } from './stream.js';
import { grabView, ownedBy } from './view.js';

export interface GrabResultDeps {
  readonly verify: Verify;
  readonly grabs: GrabReader;
  readonly streams: GrabStreams;
}

// A malformed id, an unknown grab and someone else's grab all get this same 404.
const notFound = () => new AppError('NOT_FOUND', 'No such grab.');

export function grabResultRoutes(deps: GrabResultDeps): Route[] {
  /** The caller's own grab, or a 401/404 — always decided before anything is written. */
  async function ownGrab(req: HttpRequest, grabId: string): Promise<GrabRecord> {
    const caller = await authenticate(deps.verify, req.headers);
    const record = ownedBy(await deps.grabs.record(grabId), caller.userId);
    if (record === undefined) throw notFound();
    return record;
  }

  return [
    implement(getGrabContract, async ({ req, params }) => {
      const record = await ownGrab(req, params.grabId);
      return { status: 200, body: grabView(record) };
    }),
    implement(grabEventsContract, async ({ req, res, params }) => {
      const record = await ownGrab(req, params.grabId);
      // Writes the response itself; the reply below is ignored once the headers went out.
      await deps.streams.serve(res, record);
      return { status: 200 };
    }),
  ];
}
