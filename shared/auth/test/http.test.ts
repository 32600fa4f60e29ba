import { describe, expect, it } from 'vitest';
import { authenticate, bearerToken, type Caller, type Verify } from '../src/index.js';

const TOKEN = 'aaa.bbb.ccc';
const caller = (userId: string): Caller => ({ userId, roles: ['user'], tokenId: 't-1', expiresAt: 0 });

function counting(caller: Caller): Verify & { calls: string[] } {
  const calls: string[] = [];
  return Object.assign(
    async (token: string) => {
      calls.push(token);
      return caller;
    },
    { calls },
  );
}

describe('authenticate', () => {
  it('verifies a request once however often its guard and handler ask', async () => {
    const verify = counting(caller('u-1'));
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect(await authenticate(verify, headers)).toMatchObject({ userId: 'u-1' });
    expect(await authenticate(verify, headers)).toMatchObject({ userId: 'u-1' });
    expect(verify.calls).toEqual([TOKEN]);
    // Another request (headers object) or another verifier asks afresh.
    await authenticate(verify, { authorization: `Bearer ${TOKEN}` });
    const other = counting(caller('u-2'));
    expect(await authenticate(other, headers)).toMatchObject({ userId: 'u-2' });
    expect(verify.calls).toHaveLength(2);
    expect(other.calls).toHaveLength(1);
  });

  it('refuses a missing or malformed header every time, without asking the verifier', async () => {
    const verify = counting(caller('u-1'));
    const headers = { authorization: 'Basic dTpw' };
    await expect(authenticate(verify, headers)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(authenticate(verify, headers)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(authenticate(verify, {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(() => bearerToken({ authorization: 'Bearer a.b' })).toThrow();
    expect(verify.calls).toEqual([]);
  });
});
