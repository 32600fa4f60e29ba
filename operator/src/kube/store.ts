import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubeEvent } from '../lifecycle.js';
import type { SeckillStore } from '../ports.js';
import {
  FINALIZER,
  GROUP,
  KIND,
  PLURAL,
  type SeckillObject,
  type SeckillSpec,
  seckillSpecSchema,
  type SeckillStatus,
  VERSION,
} from '../types.js';

interface RawSeckill {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec: unknown;
  status?: SeckillStatus;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Seckill objects in the Kubernetes API: one namespace, or all when `namespace` is undefined. */
export class KubeSeckillStore implements SeckillStore {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #namespace: string | undefined;
  readonly #component: string;
  /** resourceVersion per uid as last listed: status writes are conditional on it. */
  readonly #versions = new Map<string, string>();
  readonly #finalizers = new Map<string, readonly string[]>();

  constructor(kc: KubeConfig, options: { namespace?: string; component?: string } = {}) {
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#namespace = options.namespace;
    this.#component = options.component ?? 'couponkill-operator';
  }

  async list(): Promise<SeckillObject[]> {
    const base = { group: GROUP, version: VERSION, plural: PLURAL };
    const list = (
      this.#namespace === undefined
        ? await this.#custom.listClusterCustomObject(base)
        : await this.#custom.listNamespacedCustomObject({ ...base, namespace: this.#namespace })
    ) as { items: RawSeckill[] };
    const objects: SeckillObject[] = [];
    for (const raw of list.items) {
      this.#versions.set(raw.metadata.uid, raw.metadata.resourceVersion);
      this.#finalizers.set(raw.metadata.uid, raw.metadata.finalizers ?? []);
      const parsed = seckillSpecSchema.safeParse(raw.spec);
      const spec: SeckillSpec | undefined = parsed.success ? parsed.data : undefined;
      const object = {
        namespace: raw.metadata.namespace,
        name: raw.metadata.name,
        uid: raw.metadata.uid,
        generation: raw.metadata.generation ?? 1,
        deleting: raw.metadata.deletionTimestamp !== undefined,
        status: raw.status ?? {},
      };
      if (spec === undefined) {
        // The API server validated it already; a mismatch means this operator is older than the CRD.
        if (raw.status?.phase !== 'Failed') {
          await this.writeStatus(
            { ...object, spec: {} as SeckillSpec },
            {
              ...raw.status,
              phase: 'Failed',
              reason: 'UnsupportedSpec',
              message: parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? 'invalid',
            },
          ).catch(() => undefined);
        }
        continue;
      }
      objects.push({ ...object, spec });
    }
    return objects;
  }

  async ensureFinalizer(object: SeckillObject): Promise<void> {
    const current = this.#finalizers.get(object.uid) ?? [];
    if (current.includes(FINALIZER)) return;
    await this.#patchFinalizers(object, [...current, FINALIZER]);
  }

  async removeFinalizer(object: SeckillObject): Promise<void> {
    const current = this.#finalizers.get(object.uid) ?? [];
    if (!current.includes(FINALIZER)) return;
    await this.#patchFinalizers(
      object,
      current.filter((f) => f !== FINALIZER),
    );
  }

  async #patchFinalizers(object: SeckillObject, finalizers: string[]): Promise<void> {
    // The resourceVersion makes it conditional: a concurrent change of the list fails instead of being lost.
    const updated = (await this.#custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: object.namespace,
        name: object.name,
        body: { metadata: { finalizers, resourceVersion: this.#versions.get(object.uid) } },
      },
      mergePatch,
    )) as RawSeckill;
    this.#versions.set(object.uid, updated.metadata.resourceVersion);
    this.#finalizers.set(object.uid, updated.metadata.finalizers ?? []);
  }

  async writeStatus(object: SeckillObject, status: SeckillStatus): Promise<void> {
    // PUT of the status subresource with the resourceVersion last seen: a writer that acted on a
    // stale view (another replica, an edit in between) gets 409 and looks again.
    const updated = (await this.#custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: object.namespace,
      name: object.name,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: KIND,
        metadata: { name: object.name, namespace: object.namespace, resourceVersion: this.#versions.get(object.uid) },
        status: withoutUndefined(status),
      },
    })) as RawSeckill;
    this.#versions.set(object.uid, updated.metadata.resourceVersion);
  }

  async event(object: SeckillObject, event: KubeEvent): Promise<void> {
    const now = new Date();
    await this.#core.createNamespacedEvent({
      namespace: object.namespace,
      body: {
        metadata: { generateName: `${object.name}.`, namespace: object.namespace },
        involvedObject: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: KIND,
          name: object.name,
          namespace: object.namespace,
          uid: object.uid,
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
        source: { component: this.#component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}

/** Whether an error from the API is a 404 / 409 (used to decide between retrying and giving up). */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
