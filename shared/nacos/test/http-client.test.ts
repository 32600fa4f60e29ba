import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { classifyDependencyFailure } from '@couponkill/errors';
import { describe, expect, it } from 'vitest';
import { TokenHttpClient, toFetchRequest } from '../src/http-client.js';
import { NacosToken } from '../src/token.js';

const URL_ = 'http://127.0.0.1:8848/nacos/v1/cs/configs';

describe('toFetchRequest', () => {
  it('puts GET parameters in the query and the token in the accessToken header', () => {
    const request = toFetchRequest(
      URL_,
      { method: 'GET', data: { dataId: 'a.yaml', group: 'COUPONKILL', tenant: 'dev' } },
      'tok',
    );
    expect(request.method).toBe('GET');
    expect(request.target).toBe(`${URL_}?dataId=a.yaml&group=COUPONKILL&tenant=dev`);
    expect(request.body).toBeUndefined();
    expect(request.headers['accessToken']).toBe('tok');
  });

  it('sends a POST as a UTF-8 form, accepting the already-encoded string the client passes for publish', () => {
    const encoded = 'dataId=a.yaml&group=COUPONKILL&content=k%3A%20v%0A%E2%9C%93';
    const request = toFetchRequest(
      URL_,
      { method: 'POST', data: encoded, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf8' } },
      undefined,
    );
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(request.headers['Content-Type']).toBeUndefined();
    expect(new URLSearchParams(request.body).get('content')).toBe('k: v\n✓');
    expect(request.headers['accessToken']).toBeUndefined();
  });

  it('drops the username and password the client adds, and values that are not scalars', () => {
    const request = toFetchRequest(
      URL_,
      { method: 'POST', data: { dataId: 'a', username: 'u', password: 'p', extra: { x: 1 }, skip: undefined } },
      't',
    );
    expect(new URLSearchParams(request.body).toString()).toBe('dataId=a');
  });
});

/** A port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a Nacos that does not answer', () => {
  it('fails requests and logins with errors the error model answers as UNAVAILABLE', async () => {
    const base = `http://127.0.0.1:${await closedPort()}/nacos`;
    const request = await new TokenHttpClient(undefined).request(`${base}/v1/cs/configs`).catch((err: unknown) => err);
    expect(classifyDependencyFailure(request)).toEqual({ dependency: 'nacos', reason: 'NacosRequestError' });
    const token = new NacosToken(base, { username: 'nacos', password: 'nacos' });
    const login = await token.get().catch((err: unknown) => err);
    token.close();
    expect(classifyDependencyFailure(login)).toEqual({ dependency: 'nacos', reason: 'NacosLoginError' });
  });
});
