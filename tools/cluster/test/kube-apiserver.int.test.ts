import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ensureCrds,
  KAFKA_SOURCE,
  KEDA,
  KNATIVE_SERVING,
  type KubeApiserver,
  startKubeApiserver,
} from '../src/index.js';

describe('a real kube-apiserver + etcd', () => {
  let kube: KubeApiserver;

  beforeAll(async () => {
    kube = await startKubeApiserver({
      crds: [...ensureCrds(KNATIVE_SERVING), ...ensureCrds(KEDA), ...ensureCrds(KAFKA_SOURCE)],
    });
  }, 180_000);
  afterAll(async () => kube?.stop());

  it('answers /readyz with the admin token and refuses a request without one', async () => {
    expect((await kube.request('GET', '/readyz')).status).toBe(200);
    const anonymous = await fetch(`${kube.server}/api/v1/namespaces`).catch((err: unknown) => err);
    // No CA given: the TLS handshake itself fails, proving the serving certificate is our own CA's.
    expect(anonymous).toBeInstanceOf(Error);
  });

  it('writes a kubeconfig with the CA embedded and the token', () => {
    const config = parse(readFileSync(kube.kubeconfigPath, 'utf8')) as {
      clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
      users: Array<{ user: { token: string } }>;
    };
    expect(config.clusters[0]?.cluster.server).toBe(kube.server);
    expect(Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(
      kube.ca,
    );
    expect(config.users[0]?.user.token).toBe(kube.token);
  });

  it('serves the Knative, KEDA and KafkaSource kinds once their CRDs are Established', async () => {
    const ksvc = await kube.request('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'grab-coupon' },
      spec: { template: { spec: { containers: [{ image: 'couponkill/grab-coupon:dev' }] } } },
    });
    expect(ksvc.status).toBe(201);
    const source = await kube.request('POST', '/apis/sources.knative.dev/v1/namespaces/default/kafkasources', {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'KafkaSource',
      metadata: { name: 'create-order-source' },
      spec: {
        bootstrapServers: ['kafka:9092'],
        topics: ['coupon.grab.accepted'],
        sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'create-order' } },
      },
    });
    expect(source.status, JSON.stringify(source.body)).toBe(201);
    const scaled = await kube.request('POST', '/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'create-order' },
      spec: { scaleTargetRef: { name: 'create-order' }, triggers: [{ type: 'kafka', metadata: { topic: 't' } }] },
    });
    expect(scaled.status).toBe(201);
    // Validation of the applied schemas is live: a wrong type is refused with the field named.
    const invalid = await kube.request('POST', '/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'broken' },
      spec: { scaleTargetRef: { name: 'x' }, minReplicaCount: 'many', triggers: [] },
    });
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body)).toContain('spec.minReplicaCount');
  });

  it('applies CRDs idempotently (server-side apply)', async () => {
    await kube.applyCrds(ensureCrds(KEDA));
    const crd = await kube.request(
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledobjects.keda.sh',
    );
    expect(crd.status).toBe(200);
  });
});
