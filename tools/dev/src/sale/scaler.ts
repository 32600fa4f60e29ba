import type { SaleParameters, Scaler, SeckillObject } from '@couponkill/operator';

/** Where local minimums are kept: `{ service → min instances }` (make dev's min-scale.json). */
export interface MinScaleStore {
  get(service: string): number | undefined;
  set(service: string, min: number | undefined): void;
}

/**
 * Scaling without Kubernetes: the order worker's minimum goes to the file make dev's lag scaler
 * reads as its floor (what KEDA does with the KafkaSource minimum); make dev runs one grab
 * process, so the grab minimum is only recorded and logged.
 */
export class LocalScaler implements Scaler {
  constructor(
    readonly store: MinScaleStore,
    readonly log: (line: string) => void,
  ) {}

  async scaleUp(
    _object: SeckillObject,
    sale: SaleParameters,
    previous: Readonly<Record<string, string>> | undefined,
  ): Promise<Record<string, string>> {
    const found: Record<string, string> = { ...previous };
    for (const { service, minScale } of [sale.spec.scaling.grab, sale.spec.scaling.orderWorker]) {
      const key = `local/${service}/min-scale`;
      const current = this.store.get(service);
      if (!(key in found)) found[key] = current === undefined ? '' : String(current);
      if (current !== minScale) {
        this.store.set(service, minScale);
        this.log(`min-scale ${service}: ${current ?? 'none'} → ${minScale}`);
      }
    }
    return found;
  }

  async scaleDown(_object: SeckillObject, previous: Readonly<Record<string, string>>): Promise<void> {
    for (const [key, value] of Object.entries(previous)) {
      const service = key.split('/')[1] ?? '';
      const restored = value === '' ? undefined : Number(value);
      this.store.set(service, restored);
      this.log(`min-scale ${service}: back to ${restored ?? 'none'}`);
    }
  }
}
