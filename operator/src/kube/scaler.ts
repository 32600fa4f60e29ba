import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { SaleParameters } from '../lifecycle.js';
import type { Scaler } from '../ports.js';
import type { SeckillObject } from '../types.js';

export const MIN_SCALE = 'autoscaling.knative.dev/min-scale';
export const INITIAL_SCALE = 'autoscaling.knative.dev/initial-scale';
export const SOURCE_MIN_SCALE = 'autoscaling.eventing.knative.dev/min-scale';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** One scaling knob: where it lives and how to read and write it. */
interface Knob {
  /** Key in status.scaledFrom, e.g. `ksvc/grab-coupon/min-scale`. */
  readonly key: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly name: string;
  read(object: Record<string, unknown>): string;
  /** A merge patch setting the value (null removes it). */
  patch(value: string | null): object;
}

const templateAnnotation = (annotation: string) => ({
  read: (o: Record<string, unknown>) => dig(o, ['spec', 'template', 'metadata', 'annotations', annotation]) ?? '',
  patch: (value: string | null) => ({ spec: { template: { metadata: { annotations: { [annotation]: value } } } } }),
});

function knobs(sale: SaleParameters | undefined, keys?: readonly string[]): Array<Knob & { target?: string }> {
  const all: Array<Knob & { target?: string }> = [];
  const ksvc = (service: string, min: number | undefined) => {
    const base = { group: 'serving.knative.dev', version: 'v1', plural: 'services', name: service };
    all.push(
      { ...base, key: `ksvc/${service}/min-scale`, ...templateAnnotation(MIN_SCALE), target: str(min) },
      { ...base, key: `ksvc/${service}/initial-scale`, ...templateAnnotation(INITIAL_SCALE), target: str(min) },
    );
  };
  const kafkaSource = (name: string, min: number | undefined) =>
    all.push({
      group: 'sources.knative.dev',
      version: 'v1',
      plural: 'kafkasources',
      name,
      key: `kafkasource/${name}/min-scale`,
      read: (o) => dig(o, ['metadata', 'annotations', SOURCE_MIN_SCALE]) ?? '',
      patch: (value) => ({ metadata: { annotations: { [SOURCE_MIN_SCALE]: value } } }),
      target: str(min),
    });
  const scaledObject = (name: string, min: number | undefined) =>
    all.push({
      group: 'keda.sh',
      version: 'v1alpha1',
      plural: 'scaledobjects',
      name,
      key: `scaledobject/${name}/minReplicaCount`,
      read: (o) => dig(o, ['spec', 'minReplicaCount']) ?? '',
      patch: (value) => ({ spec: { minReplicaCount: value === null ? null : Number(value) } }),
      target: str(min),
    });
  if (sale !== undefined) {
    const { grab, orderWorker } = sale.spec.scaling;
    ksvc(grab.service, grab.minScale);
    ksvc(orderWorker.service, orderWorker.minScale);
    if (orderWorker.kafkaSource !== undefined) kafkaSource(orderWorker.kafkaSource, orderWorker.minScale);
    if (orderWorker.scaledObject !== undefined) scaledObject(orderWorker.scaledObject, orderWorker.minScale);
  }
  // Knobs recorded earlier are restored even when the spec no longer names them.
  for (const key of keys ?? []) {
    if (all.some((k) => k.key === key)) continue;
    const [kind, name = ''] = key.split('/');
    if (kind === 'ksvc') ksvc(name, undefined);
    else if (kind === 'kafkasource') kafkaSource(name, undefined);
    else if (kind === 'scaledobject') scaledObject(name, undefined);
  }
  return all.filter((k) => keys === undefined || keys.includes(k.key));
}

/**
 * Scales the Knative Services of the grab function and the order worker, the worker's KafkaSource
 * and its KEDA ScaledObject (when named) in the Seckill's namespace, by merge patches of exactly
 * the keys it owns; the values found before are kept in the status and put back afterwards.
 */
export class KubeScaler implements Scaler {
  readonly #api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.#api = kc.makeApiClient(CustomObjectsApi);
  }

  async scaleUp(
    object: SeckillObject,
    sale: SaleParameters,
    previous: Readonly<Record<string, string>> | undefined,
  ): Promise<Record<string, string>> {
    const found: Record<string, string> = { ...previous };
    for (const knob of knobs(sale)) {
      const target = knob.target ?? '';
      const ref = objectRef(knob, object.namespace);
      const current = (await this.#api.getNamespacedCustomObject(ref)) as Record<string, unknown>;
      if (!(knob.key in found)) found[knob.key] = knob.read(current);
      if (knob.read(current) !== target)
        await this.#api.patchNamespacedCustomObject({ ...ref, body: knob.patch(target) }, mergePatch);
    }
    return found;
  }

  async scaleDown(object: SeckillObject, previous: Readonly<Record<string, string>>): Promise<void> {
    for (const knob of knobs(undefined, Object.keys(previous))) {
      const value = previous[knob.key] ?? '';
      const ref = objectRef(knob, object.namespace);
      await this.#api.patchNamespacedCustomObject(
        { ...ref, body: knob.patch(value === '' ? null : value) },
        mergePatch,
      );
    }
  }
}

function str(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n);
}

function dig(o: unknown, path: readonly string[]): string | undefined {
  let cur: unknown = o;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === 'string' || typeof cur === 'number' ? String(cur) : undefined;
}

/** Where a knob's object is in the API: its group, version and plural, in the Seckill's namespace. */
function objectRef(knob: Pick<Knob, 'group' | 'version' | 'plural' | 'name'>, namespace: string) {
  return { group: knob.group, version: knob.version, plural: knob.plural, namespace, name: knob.name };
}
