import { Document, isMap, parseDocument } from 'yaml';
import type { SaleParameters } from './lifecycle.js';
import { type FlowRulesPublisher, flowRuleOverrides } from './ports.js';
import type { FlowRulesStatus, SeckillObject } from './types.js';

/** The data id grab-coupon reads its flow rules from (group and namespace come from the connection). */
export const FLOW_RULES_DATA_ID = 'flow-rules.yaml';

/** Where configuration documents live: NacosConfig (shared/nacos) has exactly this surface. */
export interface ConfigDocuments {
  get(dataId: string): Promise<string | null>;
  publish(dataId: string, content: string): Promise<void>;
}

/**
 * Publishes a sale's per-coupon overrides as `coupons.<couponId>` of flow-rules.yaml (the
 * document grab-coupon applies live) and removes them after the sale. Everything else in the
 * document — defaults, other coupons, comments — is kept as it was.
 *
 * Nacos' v1 API has no compare-and-set here, so an edit of the same document by someone else in
 * the instant between our read and our write would be lost; the operator rewrites its entry on
 * every spec change, and the window is milliseconds.
 */
export class NacosFlowRules implements FlowRulesPublisher {
  constructor(
    readonly documents: ConfigDocuments,
    readonly dataId: string = FLOW_RULES_DATA_ID,
  ) {}

  async publish(_object: SeckillObject, sale: SaleParameters): Promise<FlowRulesStatus> {
    const rules = flowRuleOverrides(sale);
    await this.#edit((doc) => doc.setIn(['coupons', sale.couponId], doc.createNode(rules)));
    return { published: true, target: `nacos ${this.dataId} coupons.${sale.couponId}`, rules };
  }

  async withdraw(_object: SeckillObject, couponId: string): Promise<void> {
    await this.#edit((doc) => {
      if (doc.hasIn(['coupons', couponId])) doc.deleteIn(['coupons', couponId]);
    });
  }

  async #edit(change: (doc: Document) => void): Promise<void> {
    const text = (await this.documents.get(this.dataId)) ?? '';
    // An empty (or absent) document becomes an empty mapping (block style) to edit.
    const doc: Document = text.trim() === '' ? new Document({}) : parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${this.dataId} is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
    if (!isMap(doc.contents)) throw new Error(`${this.dataId} is not a mapping`);
    const before = doc.toString();
    change(doc);
    const after = doc.toString();
    if (after !== before) await this.documents.publish(this.dataId, after);
  }
}
