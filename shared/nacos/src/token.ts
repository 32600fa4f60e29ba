/**
 * Logs in to the Nacos HTTP API and keeps the access token fresh. The npm client only adds
 * username/password as request parameters, which the official server accepts but rnacos does
 * not, and it never renews a token; this class does both, for either server.
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

interface LoginResponse {
  readonly accessToken?: unknown;
  readonly tokenTtl?: unknown;
}

export class NacosToken {
  readonly #baseUrl: string;
  readonly #credentials: Credentials;
  #token: string | undefined;
  #expiresAt = 0;
  #pending: Promise<string> | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** @param baseUrl e.g. `http://127.0.0.1:8848/nacos` */
  constructor(baseUrl: string, credentials: Credentials) {
    this.#baseUrl = baseUrl;
    this.#credentials = credentials;
  }

  /** The current token, logging in first when there is none or it is about to expire. */
  async get(): Promise<string> {
    if (this.#token !== undefined && Date.now() < this.#expiresAt) return this.#token;
    return this.refresh();
  }

  /** Logs in again now (also after the server answered 403 to a token it forgot). */
  refresh(): Promise<string> {
    this.#pending ??= this.#login().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  async #login(): Promise<string> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.#baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams({
          username: this.#credentials.username,
          password: this.#credentials.password,
        }).toString(),
        signal: AbortSignal.timeout(5000),
      });
      text = await response.text();
    } catch (err) {
      throw loginError(`nacos login failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    if (!response.ok) throw loginError(`nacos login failed: HTTP ${response.status} ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as LoginResponse;
    if (typeof body.accessToken !== 'string' || body.accessToken === '') {
      throw loginError('nacos login failed: no accessToken in the response');
    }
    const ttlSeconds = typeof body.tokenTtl === 'number' && body.tokenTtl > 0 ? body.tokenTtl : 3600;
    // Renew at 80 % of the lifetime so a request never carries a token that is about to expire.
    const renewInMs = ttlSeconds * 800;
    this.#token = body.accessToken;
    this.#expiresAt = Date.now() + renewInMs;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh().catch(() => undefined), renewInMs);
    this.#timer.unref();
    return body.accessToken;
  }
}

/** Named like the nacos client's own errors, so the error model sees Nacos as the dependency that failed. */
function loginError(message: string, cause?: unknown): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  err.name = 'NacosLoginError';
  return err;
}
