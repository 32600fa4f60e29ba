import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import {
  type KubeEvent,
  type SeckillObject,
  type SeckillSpec,
  seckillSpecSchema,
  type SeckillStatus,
  type SeckillStore,
} from '@couponkill/operator';

/** A Seckill manifest as a file holds it: the same shape `kubectl apply` takes. */
interface SeckillFile {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: unknown;
}

/** What the status file keeps: enough to resume (the spec seen, as JSON, and its generation). */
interface SavedState {
  readonly generation?: number;
  readonly spec?: string;
  readonly status?: SeckillStatus;
}

/** Parses a Seckill manifest (YAML) with the CRD's defaults; throws one line per wrong field. */
export function parseSeckillFile(text: string): { name: string; namespace: string; spec: SeckillSpec } {
  const doc = parse(text) as SeckillFile | null;
  const parsed = seckillSpecSchema.safeParse(doc?.spec);
  if (!parsed.success) {
    throw new Error(
      `invalid Seckill: ${parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return { name: doc?.metadata?.name ?? 'seckill', namespace: doc?.metadata?.namespace ?? 'local', spec: parsed.data };
}

/**
 * One Seckill read from a YAML file, for running a sale without Kubernetes. The file is read again
 * on every pass (an edit during the sale counts as a new generation, as in the API server); the
 * status lives in memory and is written next to the run's state after every change.
 */
export class FileSeckillStore implements SeckillStore {
  #generation = 1;
  #lastSpec = '';
  #status: SeckillStatus = {};

  constructor(
    readonly options: {
      readonly file: string;
      readonly statusFile: string;
      readonly log: (line: string) => void;
      /** Applied to the spec as read (e.g. a window relative to now for a demo). */
      readonly adjust?: (spec: SeckillSpec) => SeckillSpec;
    },
  ) {
    // An interrupted sale resumes from its last status and generation (a finished one starts afresh).
    if (existsSync(options.statusFile)) {
      const saved = parse(readFileSync(options.statusFile, 'utf8')) as SavedState | null;
      const phase = saved?.status?.phase;
      if (saved?.status !== undefined && phase !== undefined && phase !== 'Audited' && phase !== 'Failed') {
        this.#status = saved.status;
        this.#generation = saved.generation ?? 1;
        this.#lastSpec = saved.spec ?? '';
      }
    }
  }

  get status(): SeckillStatus {
    return this.#status;
  }

  async list(): Promise<SeckillObject[]> {
    const { name, namespace, spec } = parseSeckillFile(readFileSync(this.options.file, 'utf8'));
    const adjusted = this.options.adjust?.(spec) ?? spec;
    const key = JSON.stringify(spec);
    if (this.#lastSpec !== '' && key !== this.#lastSpec) this.#generation += 1;
    this.#lastSpec = key;
    return [
      {
        namespace,
        name,
        uid: `${namespace}/${name}`,
        generation: this.#generation,
        deleting: false,
        spec: adjusted,
        status: this.#status,
      },
    ];
  }

  async ensureFinalizer(): Promise<void> {}

  async removeFinalizer(): Promise<void> {}

  async writeStatus(_object: SeckillObject, status: SeckillStatus): Promise<void> {
    this.#status = status;
    const saved: SavedState = { generation: this.#generation, spec: this.#lastSpec, status };
    writeFileSync(this.options.statusFile, stringify(saved));
  }

  async event(object: SeckillObject, event: KubeEvent): Promise<void> {
    this.options.log(`${event.type === 'Warning' ? 'WARNING ' : ''}${object.name}: ${event.reason} — ${event.message}`);
  }
}
