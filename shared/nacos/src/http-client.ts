import type { NacosToken } from './token.js';

/** What the npm nacos client's HttpAgent passes to its `httpclient.request`. */
export interface AgentRequest {
  readonly method?: string;
  /** An object, or a form string the client already encoded (publish does that). */
  readonly data?: Record<string, unknown> | string;
  readonly headers?: Record<string, string>;
  readonly timeout?: number;
  readonly dataAsQueryString?: boolean;
}

interface AgentResponse {
  readonly status: number;
  readonly data: string;
  readonly headers: Record<string, string>;
}

const LONG_POLL = '/v1/cs/configs/listener';
/** What an interrupted long poll answers: "nothing changed", so the client polls again at once. */
const NOTHING_CHANGED: AgentResponse = { status: 200, data: '', headers: {} };

/**
 * The `httpclient` handed to the npm nacos client: plain fetch, the current access token on
 * every request (so renewals reach every worker the client creates), one re-login and retry
 * when the server rejects a token, and control over the client's long poll.
 */
export class TokenHttpClient {
  readonly #token: NacosToken | undefined;
  readonly #closed = new AbortController();
  readonly #polls = new Set<AbortController>();

  constructor(token: NacosToken | undefined) {
    this.#token = token;
  }

  /**
   * Ends the long poll in flight. The client sends one poll for all its data ids and only adds a
   * new subscription to the next one, so without this a new data id would wait up to 30 s.
   */
  interruptLongPolls(): void {
    for (const poll of this.#polls) poll.abort();
  }

  close(): void {
    this.#closed.abort();
    this.interruptLongPolls();
  }

  async request(url: string, options: AgentRequest = {}): Promise<AgentResponse> {
    if (!url.endsWith(LONG_POLL)) return this.#authorized(url, options, this.#closed.signal);
    if (this.#closed.signal.aborted) return NOTHING_CHANGED;
    const poll = new AbortController();
    this.#polls.add(poll);
    try {
      return await this.#authorized(url, options, poll.signal);
    } catch (err) {
      if (poll.signal.aborted) return NOTHING_CHANGED;
      throw err;
    } finally {
      this.#polls.delete(poll);
    }
  }

  async #authorized(url: string, options: AgentRequest, cancel: AbortSignal): Promise<AgentResponse> {
    let response = await this.#send(
      url,
      options,
      this.#token === undefined ? undefined : await this.#token.get(),
      cancel,
    );
    if (response.status === 403 && this.#token !== undefined) {
      response = await this.#send(url, options, await this.#token.refresh(), cancel);
    }
    return response;
  }

  async #send(
    url: string,
    options: AgentRequest,
    token: string | undefined,
    cancel: AbortSignal,
  ): Promise<AgentResponse> {
    const { method, target, headers, body } = toFetchRequest(url, options, token);
    const signal = AbortSignal.any([cancel, AbortSignal.timeout(options.timeout ?? 6000)]);
    let response: Response;
    try {
      response = await fetch(target, { method, headers, body, signal });
    } catch (err) {
      // The client decorates errors (err.name = …), which a DOMException forbids: hand it a plain Error.
      const reason = cancel.aborted ? 'cancelled' : err instanceof Error ? err.message : String(err);
      // Named like the client's own errors, so the error model sees Nacos as the dependency that failed.
      throw Object.assign(new Error(`nacos request failed: ${reason}`), {
        name: 'NacosRequestError',
        code: cancel.aborted ? 'ECANCELLED' : 'EREQUEST',
      });
    }
    return { status: response.status, data: await response.text(), headers: Object.fromEntries(response.headers) };
  }
}

/** What the client asked for, as a fetch request: form data in the query or the body, plus the token. */
export function toFetchRequest(
  url: string,
  options: AgentRequest,
  token: string | undefined,
): { method: string; target: string; headers: Record<string, string>; body: string | undefined } {
  const method = (options.method ?? 'GET').toUpperCase();
  const params = new URLSearchParams(typeof options.data === 'string' ? options.data : undefined);
  if (typeof options.data === 'object') {
    for (const [key, value] of Object.entries(options.data)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        params.set(key, String(value));
      }
    }
  }
  // The client adds username/password itself when configured; the token replaces them.
  params.delete('username');
  params.delete('password');
  const inQuery = method === 'GET' || method === 'DELETE' || options.dataAsQueryString === true;
  const target = inQuery && params.size > 0 ? `${url}${url.includes('?') ? '&' : '?'}${params.toString()}` : url;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    // The client's own `charset=utf8` form type is not understood by every server.
    if (name.toLowerCase() !== 'content-type' && value !== undefined) headers[name] = String(value);
  }
  if (!inQuery) headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  if (token !== undefined) headers['accessToken'] = token;
  return { method, target, headers, body: inQuery ? undefined : params.toString() };
}
