import type { ServerProcess } from './process.js';

/** Where each middleware server of a run listens. */
export interface Endpoints {
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly nacos: NacosEndpoint;
}

export interface NacosEndpoint {
  /** host:port of the Nacos HTTP API. */
  readonly serverAddr: string;
  readonly username: string;
  readonly password: string;
}

/** One server of a run: where it listens and how to stop it (absent when it was given by env). */
export interface RunningServer<E> {
  readonly endpoint: E;
  readonly process?: ServerProcess;
  /** Milliseconds from spawn until it answered a real request. */
  readonly startMs: number;
}

export interface StartOptions {
  /** `dev`, or `test-<pid>`: names the state folder under `.run/`. */
  readonly profile: string;
  /** Preferred port (dev wants stable URLs); a free one is used when it is taken. */
  readonly port?: number;
  /**
   * Take exactly `port` (waiting until it is free) instead of falling back to a free one: a
   * restarted server must come back where its clients and proxies look.
   */
  readonly exactPort?: boolean;
  /** Print progress lines (installs, readiness). */
  readonly log?: (line: string) => void;
}
