import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataClient } from 'nacos';
import { TokenHttpClient } from './http-client.js';
import { NacosToken } from './token.js';

export interface NacosOptions {
  /** `host:port` of the Nacos HTTP API. */
  readonly serverAddr: string;
  /** Namespace (tenant) id; one per environment. Empty = the public namespace. */
  readonly namespace?: string;
  /** Group of every data id; the product uses `COUPONKILL`. */
  readonly group?: string;
  readonly username?: string;
  readonly password?: string;
  /** Where the npm client keeps its fallback snapshots; a private temp folder by default. */
  readonly cacheDir?: string;
  readonly requestTimeoutMs?: number;
}

export type ConfigListener = (content: string) => void;

/** The npm client's surface we use (its typings are loose). */
interface RawClient {
  ready(): Promise<void>;
  getConfig(dataId: string, group: string): Promise<string | null>;
  publishSingle(dataId: string, group: string, content: string): Promise<boolean>;
  remove(dataId: string, group: string): Promise<boolean>;
  subscribe(info: { dataId: string; group: string }, listener: ConfigListener): void;
  unSubscribe(info: { dataId: string; group: string }, listener: ConfigListener): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

/**
 * Get, publish and subscribe to configuration documents of one namespace and group, over the
 * npm `nacos` client, with a login that works against both the official server and rnacos.
 */
export class NacosConfig {
  readonly group: string;
  readonly #raw: RawClient;
  readonly #token: NacosToken | undefined;
  readonly #http: TokenHttpClient;
  readonly #errors = new Set<(err: Error) => void>();

  private constructor(options: NacosOptions, Client: typeof DataClient) {
    this.group = options.group ?? 'COUPONKILL';
    const credentials =
      options.username !== undefined && options.username !== '' && options.password !== undefined
        ? { username: options.username, password: options.password }
        : undefined;
    this.#token = credentials && new NacosToken(`http://${options.serverAddr}/nacos`, credentials);
    this.#http = new TokenHttpClient(this.#token);
    // DataClient, not NacosConfigClient: the latter wraps it in cluster-client, which shares one
    // instance per process (the first namespace wins for every later client) and opens a local
    // TCP port for leader election between processes.
    this.#raw = new Client({
      serverAddr: options.serverAddr,
      namespace: options.namespace ?? '',
      cacheDir: options.cacheDir ?? mkdtempSync(join(tmpdir(), 'couponkill-nacos-')),
      requestTimeout: options.requestTimeoutMs ?? 6000,
      httpclient: this.#http,
    }) as unknown as RawClient;
    this.#raw.on('error', (err) => {
      for (const listener of this.#errors) listener(err);
    });
  }

  /**
   * Connects (logging in when credentials are given) and checks that the server answers. The npm
   * client (about 200 modules) is loaded here, on the first connection, not when this package is
   * imported: a function without Nacos never loads it.
   */
  static async connect(options: NacosOptions): Promise<NacosConfig> {
    const { DataClient: Client } = await import('nacos');
    const client = new NacosConfig(options, Client);
    await client.#token?.get();
    await client.#raw.ready();
    return client;
  }

  get(dataId: string): Promise<string | null> {
    return this.#raw.getConfig(dataId, this.group);
  }

  async publish(dataId: string, content: string): Promise<void> {
    const ok = await this.#raw.publishSingle(dataId, this.group, content);
    if (ok !== true) throw new Error(`nacos refused to publish ${this.group}/${dataId}`);
  }

  async remove(dataId: string): Promise<void> {
    await this.#raw.remove(dataId, this.group);
  }

  /**
   * Calls `listener` with the document's content now (when it exists) and after each change,
   * via the client's long poll. Returns a function that stops listening.
   */
  subscribe(dataId: string, listener: ConfigListener): () => void {
    const info = { dataId, group: this.group };
    let synced = false;
    const onContent: ConfigListener = (content) => {
      if (!synced) {
        // The client only adds a new data id to its next long poll; end the one in flight once
        // the first read is in, so changes arrive now rather than after up to 30 s. (Earlier,
        // the first read and a poll-triggered read could race and leave a stale value.)
        synced = true;
        this.#http.interruptLongPolls();
      }
      listener(content);
    };
    this.#raw.subscribe(info, onContent);
    return () => this.#raw.unSubscribe(info, onContent);
  }

  /** Background errors of the client (failed long polls); they do not stop subscriptions. */
  onError(listener: (err: Error) => void): () => void {
    this.#errors.add(listener);
    return () => this.#errors.delete(listener);
  }

  /**
   * Publishes a probe document and reads it back. A Nacos-protocol server can answer its
   * readiness check while every write fails (seen with a broken raft state), so startup and
   * tests use this instead of trusting `/health`.
   */
  async verifyWritable(): Promise<void> {
    const dataId = `couponkill-write-probe-${randomUUID()}`;
    const content = `probe: ${Date.now()}\n`;
    await this.publish(dataId, content);
    try {
      const read = await this.get(dataId);
      if (read !== content) throw new Error(`nacos write probe read back ${JSON.stringify(read)}`);
    } finally {
      await this.remove(dataId).catch(() => undefined);
    }
  }

  close(): void {
    this.#raw.close();
    this.#http.close();
    this.#token?.close();
  }
}
