import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@couponkill/logging';
import type { Metrics } from '@couponkill/metrics';
import { NacosConfig, type NacosOptions, type TypedWatch, watchConfig } from '@couponkill/nacos';
import { type ActiveFlowRules, compileRules, type RulesSource } from './active.js';
import { EMBEDDED_FLOW_RULES, type FlowRulesDocument, parseFlowRules } from './schema.js';

/** Defaults of `FlowRules.start`: the first retry delay to Nacos and the wait for its first answer. */
const NACOS_RETRY_MS = 1000;
const NACOS_START_TIMEOUT_MS = 5000;
/** A failing long poll repeats every few seconds while Nacos is down: it is logged once per this. */
const NACOS_ERROR_LOG_INTERVAL_MS = 30_000;

/** The Nacos data id of the rules (group and namespace come from the connection). */
export const FLOW_RULES_DATA_ID = 'flow-rules.yaml';

export interface FlowRulesOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** A YAML file read once at start (`FLOW_RULES_FILE`); it applies while Nacos has no document. */
  readonly file?: string | undefined;
  /** Where the live rules are; undefined = no Nacos (file or embedded rules only). */
  readonly nacos?: NacosOptions | undefined;
  readonly dataId?: string;
  /** How long `start` waits for the first answer from Nacos before serving with the file's rules. */
  readonly startTimeoutMs?: number;
  /** First delay between connection attempts to Nacos (doubling up to 30 s). */
  readonly retryMs?: number;
}

interface Parsed {
  readonly document: FlowRulesDocument;
  readonly version: string;
}

/**
 * The flow rules in force in this process: embedded defaults, over them the file, over that the
 * Nacos document (live, via the client's long poll). A document that does not parse or validate
 * is rejected and logged, and the rules in force stay as they were; a Nacos document that is
 * removed hands back to the file's (or the embedded) rules. Each applied change swaps one frozen
 * snapshot, which the grab path reads once per request.
 */
export class FlowRules {
  readonly #log: Logger;
  readonly #dataId: string;
  readonly #generationGauge;
  readonly #info;
  readonly #rejected;
  #generation = 0;
  #active: ActiveFlowRules;
  /** What applies while Nacos has no document: the file's rules, or the embedded ones. */
  #base: { readonly parsed: Parsed; readonly source: RulesSource };
  #nacos: NacosConfig | undefined;
  #watch: TypedWatch<Parsed | undefined> | undefined;
  #closed = false;
  readonly #stopRetry = new AbortController();

  private constructor(options: FlowRulesOptions) {
    this.#log = options.logger.child({ component: 'flow-rules' });
    this.#dataId = options.dataId ?? FLOW_RULES_DATA_ID;
    this.#generationGauge = options.metrics.gauge(
      'couponkill_flow_rules_generation',
      'Flow-rule changes applied by this instance (1 = the rules it started with).',
    );
    this.#info = options.metrics.gauge(
      'couponkill_flow_rules_info',
      'The flow rules in force: 1 for the active source and version.',
      ['source', 'version'],
    );
    this.#rejected = options.metrics.counter(
      'couponkill_flow_rules_rejected_total',
      'Flow-rule documents rejected as invalid (the previous rules stayed in force).',
      ['source'],
    );
    this.#base = { parsed: { document: EMBEDDED_FLOW_RULES, version: 'embedded' }, source: 'embedded' };
    this.#active = this.#compile(this.#base.parsed, 'embedded');
    if (options.file !== undefined) this.#loadFile(options.file);
  }

  /**
   * Loads the rules. With Nacos, waits (bounded) for its first answer, so an instance normally
   * serves its first grab with the live rules; when Nacos is unreachable it starts on the file's
   * rules and keeps connecting in the background.
   */
  static async start(options: FlowRulesOptions): Promise<FlowRules> {
    const rules = new FlowRules(options);
    if (options.nacos !== undefined) {
      const first = rules.#connect(options.nacos, options.retryMs ?? NACOS_RETRY_MS);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.startTimeoutMs ?? NACOS_START_TIMEOUT_MS);
      });
      await Promise.race([first, timeout]);
      clearTimeout(timer);
    }
    return rules;
  }

  get current(): ActiveFlowRules {
    return this.#active;
  }

  close(): void {
    this.#closed = true;
    this.#stopRetry.abort();
    this.#watch?.stop();
    this.#nacos?.close();
  }

  #loadFile(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      this.#reject('file', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return;
    }
    const parsed = parseDocument(text);
    if (!parsed.ok) {
      this.#reject('file', `${path}: ${parsed.reason}`);
      return;
    }
    this.#base = { parsed: parsed.value, source: 'file' };
    this.#apply(parsed.value, 'file');
  }

  /**
   * Connects and subscribes, retrying with backoff until it succeeds or the holder is closed.
   * Resolves at the first outcome: Nacos's first answer (a document, none, or an invalid one),
   * or the first failed attempt to connect.
   */
  #connect(options: NacosOptions, retryMs: number): Promise<void> {
    return new Promise<void>((resolveFirst) => {
      const loop = async () => {
        for (let attempt = 0; !this.#closed; attempt++) {
          try {
            const nacos = await NacosConfig.connect(options);
            if (this.#closed) {
              nacos.close();
              break;
            }
            this.#nacos = nacos;
            this.#subscribe(nacos, resolveFirst);
            return;
          } catch (err) {
            this.#log.warn(
              { err: String(err), nacos: options.serverAddr, attempt, rules: this.#active.source },
              'cannot reach Nacos for flow rules; the rules in force stay, retrying',
            );
            resolveFirst();
            await delay(Math.min(30_000, retryMs * 2 ** attempt), undefined, { signal: this.#stopRetry.signal }).catch(
              () => undefined, // closed
            );
          }
        }
        resolveFirst();
      };
      void loop();
    });
  }

  #subscribe(nacos: NacosConfig, resolveFirst: () => void): void {
    let lastErrorLog = 0;
    nacos.onError((err) => {
      if (Date.now() - lastErrorLog < NACOS_ERROR_LOG_INTERVAL_MS) return;
      lastErrorLog = Date.now();
      this.#log.warn({ err: err.message }, 'Nacos long poll failed; the flow rules in force stay');
    });
    this.#watch = watchConfig<Parsed | undefined>(nacos, {
      dataId: this.#dataId,
      initial: undefined,
      parse: (text) => (text.trim() === '' ? { ok: true, value: undefined } : parseDocument(text)),
      onChange: (next) => {
        if (next !== undefined) this.#apply(next, 'nacos');
        else if (this.#active.source === 'nacos') {
          this.#log.info({ dataId: this.#dataId }, 'flow rules removed from Nacos; back to the base rules');
          this.#apply(this.#base.parsed, this.#base.source);
        }
        resolveFirst();
      },
      onReject: (reason) => {
        this.#reject('nacos', `${nacos.group}/${this.#dataId}: ${reason}`);
        resolveFirst();
      },
    });
  }

  #apply(parsed: Parsed, source: RulesSource): void {
    if (this.#active.source === source && this.#active.version === parsed.version) return; // the same again
    this.#active = this.#compile(parsed, source);
    const d = parsed.document;
    this.#log.info(
      {
        source,
        version: parsed.version,
        generation: this.#generation,
        rules: {
          global: d.global,
          perCoupon: d.perCoupon,
          perUser: d.perUser,
          perIp: d.perIp,
          couponOverrides: Object.keys(d.coupons).length,
          maxConcurrentGrabsPerInstance: d.maxConcurrentGrabsPerInstance,
        },
      },
      'flow rules applied',
    );
  }

  #compile(parsed: Parsed, source: RulesSource): ActiveFlowRules {
    this.#generation += 1;
    this.#generationGauge.set(this.#generation);
    this.#info.reset();
    this.#info.set({ source, version: parsed.version }, 1);
    return compileRules(parsed.document, { generation: this.#generation, source, version: parsed.version });
  }

  #reject(source: RulesSource, reason: string): void {
    this.#rejected.inc({ source });
    this.#log.error(
      { source, reason, inForce: { source: this.#active.source, version: this.#active.version } },
      'flow rules rejected; the previous rules stay in force',
    );
  }
}

/** The version a document is known by in logs and metrics: a short hash of its text. */
export function rulesVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function parseDocument(text: string): { ok: true; value: Parsed } | { ok: false; reason: string } {
  const parsed = parseFlowRules(text);
  return parsed.ok ? { ok: true, value: { document: parsed.value, version: rulesVersion(text) } } : parsed;
}
