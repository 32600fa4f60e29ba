import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateManifests } from '../src/schemas/index.js';

// Checks the check: objects of every family the chart renders pass, and typical mistakes fail
// with a message that names the field.
const meta = (name: string) => ({ name, namespace: 'couponkill' });

const VALID = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm'), data: { a: 'b' } },
  { apiVersion: 'v1', kind: 'Service', metadata: meta('svc'), spec: { ports: [{ port: 80, targetPort: 'http' }] } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('dep'),
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } },
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('np'),
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  },
  {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: meta('grab-coupon'),
    spec: {
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '2' } },
        spec: { containerConcurrency: 100, containers: [{ image: 'couponkill/grab-coupon:1' }] },
      },
    },
  },
  {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'KafkaSource',
    metadata: meta('orders'),
    spec: {
      bootstrapServers: ['kafka:9092'],
      topics: ['coupon.grab.accepted'],
      consumerGroup: 'create-order',
      sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'create-order' } },
    },
  },
  {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    metadata: meta('expire'),
    spec: { schedule: '*/1 * * * *', sink: { uri: 'http://orders.couponkill.svc/jobs/expire' } },
  },
  {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: meta('worker'),
    spec: {
      scaleTargetRef: { name: 'create-order' },
      triggers: [{ type: 'kafka', metadata: { lagThreshold: '50' } }],
    },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: meta('api'),
    spec: {
      hosts: ['*'],
      gateways: ['couponkill'],
      http: [{ match: [{ uri: { prefix: '/api/' } }], route: [{ destination: { host: 'x' } }] }],
    },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: meta('mtls'),
    spec: { mtls: { mode: 'STRICT' } },
  },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta('sm'),
    spec: { selector: { matchLabels: { app: 'x' } }, endpoints: [{ port: 'http', path: '/metrics' }] },
  },
];

const BROKEN: { object: unknown; message: RegExp }[] = [
  {
    object: {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: meta('bad-concurrency'),
      spec: { template: { spec: { containerConcurrency: '100', containers: [{ image: 'x' }] } } },
    },
    message: /containerConcurrency.*got string, want (integer|null)/,
  },
  {
    object: {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'KafkaSource',
      metadata: meta('bad-servers'),
      spec: { bootstrapServers: 'kafka:9092', topics: ['t'], sink: { uri: 'http://x' } },
    },
    message: /bootstrapServers.*got string, want (array|null)/,
  },
  {
    object: {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: meta('bad-mode'),
      spec: { mtls: { mode: 'SOMETIMES' } },
    },
    message: /mode.*value must be one of/,
  },
  {
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('typo'),
      spec: { replica: 2, selector: {}, template: { spec: { containers: [] } } },
    },
    message: /additional properties 'replica' not allowed/,
  },
  {
    object: { apiVersion: 'example.com/v1', kind: 'Unknown', metadata: meta('x') },
    message: /could not find schema for Unknown/,
  },
];

describe('offline manifest validation (kubeconform, strict)', () => {
  it('accepts valid objects of every family the chart renders', async () => {
    const result = await validateManifests(['-'], { input: VALID.map((o) => stringify(o)).join('---\n') });
    expect(result.output).toContain(`Valid: ${VALID.length}, Invalid: 0, Errors: 0`);
    expect(result.ok).toBe(true);
  }, 120_000);

  it.each(BROKEN.map((b) => [(b.object as { metadata: { name: string } }).metadata.name, b] as const))(
    'rejects %s with a message naming the field',
    async (_name, { object, message }) => {
      const result = await validateManifests(['-'], { input: stringify(object) });
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(message);
    },
    120_000,
  );
});
