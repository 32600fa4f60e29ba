import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { consumerLag } from '@couponkill/events';
import { pickPort, REPO_ROOT, type ServerProcess, spawnServer, waitFor } from '@couponkill/servers';
import {
  ensureCrds,
  KAFKA_SOURCE,
  KEDA,
  KNATIVE_SERVING,
  type KubeApiserver,
  startKubeApiserver,
} from '@couponkill/cluster';
import { checkInvariants, fireGrabs, pressingUsers, SaleRig, settle } from '../src/index.js';
import { createLogger } from '@couponkill/logging';
import { NacosConfig } from '@couponkill/nacos';
import { endpoints, uniqueName } from '@couponkill/testkit';
import type { Admin } from 'kafkajs';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SaleBackend, type SeckillStatus, startKubeOperator } from '@couponkill/operator';

const NS = 'shop';
const SECKILLS = `/apis/couponkill.io/v1alpha1/namespaces/${NS}/seckills`;
const KSVC = `/apis/serving.knative.dev/v1/namespaces/${NS}/services`;
const SOURCES = `/apis/sources.knative.dev/v1/namespaces/${NS}/kafkasources`;
const SCALED = `/apis/keda.sh/v1alpha1/namespaces/${NS}/scaledobjects`;
const TSX_CLI = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const logger = createLogger({
  name: 'operator-test',
  level: process.env['RIG_LOG_LEVEL'] === 'debug' ? 'debug' : 'silent',
});

interface Seckill {
  metadata: { name: string; uid: string };
  spec: Record<string, unknown>;
  status?: SeckillStatus;
}

describe('the Seckill operator against a real kube-apiserver, Redis, MariaDB and Kafka', () => {
  const rig = new SaleRig(endpoints());
  let kube: KubeApiserver;
  let admin: Admin;
  let backend: SaleBackend;
  const processes: ServerProcess[] = [];
  // The operator processes publish flow rules to a namespace and data id of this test's own.
  const nacosNamespace = uniqueName('ns');
  const flowRulesDataId = `${uniqueName('flow_rules')}.yaml`;
  let nacos: NacosConfig;
  const flowRulesDoc = async () =>
    (parse((await nacos.get(flowRulesDataId)) ?? '') as { coupons?: Record<string, unknown> } | null) ?? {};

  const get = async <T>(path: string): Promise<T> => {
    const res = await kube.request('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  };
  const create = async (path: string, body: object) => {
    const res = await kube.request('POST', path, body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const seckill = (name: string) => get<Seckill>(`${SECKILLS}/${name}`);
  const waitPhase = (name: string, phase: string, timeoutMs: number) =>
    waitFor(async () => ((await seckill(name)).status?.phase === phase ? true : undefined), {
      what: `seckill ${name} ${phase}`,
      timeoutMs,
      intervalMs: 100,
    });
  const annotations = async () => {
    const grab = await get<{ spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>(
      `${KSVC}/grab-coupon`,
    );
    const worker = await get<{ spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>(
      `${KSVC}/create-order`,
    );
    const source = await get<{ metadata: { annotations?: Record<string, string> } }>(`${SOURCES}/create-order-source`);
    const scaled = await get<{ spec: { minReplicaCount?: number } }>(`${SCALED}/create-order`);
    return {
      grabMin: grab.spec.template.metadata?.annotations?.['autoscaling.knative.dev/min-scale'],
      grabInitial: grab.spec.template.metadata?.annotations?.['autoscaling.knative.dev/initial-scale'],
      workerMin: worker.spec.template.metadata?.annotations?.['autoscaling.knative.dev/min-scale'],
      sourceMin: source.metadata.annotations?.['autoscaling.eventing.knative.dev/min-scale'],
      scaledMin: scaled.spec.minReplicaCount,
    };
  };
  const events = async (name: string) =>
    (
      await get<{ items: Array<{ reason: string; type: string; involvedObject: { name: string } }> }>(
        `/api/v1/namespaces/${NS}/events`,
      )
    ).items
      .filter((e) => e.involvedObject.name === name)
      .map((e) => e.reason);
  const newSeckill = (name: string, startInMs: number, openMs: number, spec: object = {}) => {
    const start = Date.now() + startInMs;
    return {
      apiVersion: 'couponkill.io/v1alpha1',
      kind: 'Seckill',
      metadata: { name },
      spec: {
        coupon: { inline: { name: `Flash ${name}`, faceValue: 10_000, minSpend: 50_000 } },
        stock: 50,
        perUserLimit: 2,
        window: { start: new Date(start).toISOString(), end: new Date(start + openMs).toISOString() },
        prewarmSeconds: 3,
        drainTimeoutSeconds: 60,
        scaling: {
          grab: { minScale: 5 },
          orderWorker: { minScale: 3, kafkaSource: 'create-order-source', scaledObject: 'create-order' },
        },
        flowRules: { perCoupon: { ratePerSecond: 2000, burst: 200 }, perUser: { ratePerSecond: 1 } },
        ...spec,
      },
    };
  };

  /** The operator as its own process, configured like the Deployment in operator/deploy/. */
  const startOperatorProcess = async (identity: string): Promise<ServerProcess> => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-operator-'));
    const config = join(dir, 'operator.json');
    writeFileSync(
      config,
      JSON.stringify({
        orderSharding: rig.ordersSharding,
        outboxRegistry: rig.registry,
        leaseDurationMs: 3000,
        leaseRetryMs: 300,
        refreshMs: 300,
        pollMs: 150,
      }),
    );
    const port = await pickPort();
    const server = spawnServer({
      name: identity,
      command: process.execPath,
      args: [TSX_CLI, '--conditions=source', 'operator/src/kube/main.ts'],
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KUBECONFIG: kube.kubeconfigPath,
        CONFIG_FILE: config,
        MYSQL_URL: rig.endpoints.mysqlUrl,
        COUPONS_DATABASE: rig.couponsDb,
        REDIS_URL: rig.endpoints.redisUrl,
        KAFKA_BROKERS: rig.endpoints.kafkaBrokers.join(','),
        ORDER_WORKER_GROUP: `${rig.prefix}-create-order`,
        GRAB_TOPIC: rig.topic,
        LEASE_NAMESPACE: 'couponkill',
        POD_NAME: identity,
        PORT: String(port),
        LOG_LEVEL: 'info',
        NACOS_SERVER_ADDR: rig.endpoints.nacos.serverAddr,
        NACOS_USERNAME: rig.endpoints.nacos.username,
        NACOS_PASSWORD: rig.endpoints.nacos.password,
        NACOS_NAMESPACE: nacosNamespace,
        FLOW_RULES_DATA_ID: flowRulesDataId,
      },
      logFile: join(dir, 'operator.log'),
      pidFile: join(dir, 'operator.pid'),
    });
    processes.push(server);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      what: `operator ${identity}`,
      timeoutMs: 30_000,
      server,
      intervalMs: 200,
    });
    return server;
  };

  /** operator/deploy/rbac.yaml applied to the test namespace, and a kubeconfig with its token. */
  const serviceAccountKubeConfig = async (): Promise<KubeConfig> => {
    for (const doc of parseAllDocuments(readFileSync(join(REPO_ROOT, 'operator/deploy/rbac.yaml'), 'utf8'))) {
      const object = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
      object.metadata.namespace = NS;
      for (const subject of (object as { subjects?: Array<{ namespace?: string }> }).subjects ?? [])
        subject.namespace = NS;
      const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
      const plural = { ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings' }[object.kind];
      const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      const res = await kube.request(
        'PATCH',
        `${base}/namespaces/${NS}/${plural}/${object.metadata.name}?fieldManager=test&force=true`,
        JSON.stringify(object),
        'application/apply-patch+yaml',
      );
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }
    // The Deployment is valid for this API server (dry run: nothing would run it here anyway).
    const deployment = parse(readFileSync(join(REPO_ROOT, 'operator/deploy/deployment.yaml'), 'utf8')) as {
      metadata: { namespace: string };
    };
    deployment.metadata.namespace = NS;
    const dryRun = await kube.request(
      'POST',
      `/apis/apps/v1/namespaces/${NS}/deployments?dryRun=All&fieldValidation=Strict`,
      deployment,
    );
    expect(dryRun.status, JSON.stringify(dryRun.body)).toBe(201);
    // The API server signs service-account tokens itself (TokenRequest): no controller needed.
    const token = await kube.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts/couponkill-operator/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    expect(token.status).toBe(201);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'test', server: kube.server, caData: Buffer.from(kube.ca).toString('base64') }],
      users: [{ name: 'operator', token: (token.body as { status: { token: string } }).status.token }],
      contexts: [{ name: 'test', cluster: 'test', user: 'operator' }],
      currentContext: 'test',
    });
    return kc;
  };

  beforeAll(async () => {
    kube = await startKubeApiserver({
      crds: [
        ...ensureCrds(KNATIVE_SERVING),
        ...ensureCrds(KEDA),
        ...ensureCrds(KAFKA_SOURCE),
        join(REPO_ROOT, 'operator/crds/seckill.couponkill.io.yaml'),
      ],
    });
    await rig.start();
    for (const name of [NS, 'couponkill']) {
      await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    // No Knative or KEDA controller runs here: the objects a chart would install are created by hand.
    const ksvc = (name: string, annotations: Record<string, string>) =>
      create(KSVC, {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name },
        spec: { template: { metadata: { annotations }, spec: { containers: [{ image: `couponkill/${name}:dev` }] } } },
      });
    await ksvc('grab-coupon', { 'autoscaling.knative.dev/min-scale': '0' });
    await ksvc('create-order', {});
    await create(SOURCES, {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'KafkaSource',
      metadata: { name: 'create-order-source' },
      spec: {
        consumerGroup: `${rig.prefix}-create-order`,
        bootstrapServers: [...rig.endpoints.kafkaBrokers],
        topics: [rig.topic],
        sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'create-order' } },
      },
    });
    await create(SCALED, {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'create-order' },
      spec: {
        scaleTargetRef: { name: 'create-order' },
        minReplicaCount: 1,
        triggers: [{ type: 'kafka', metadata: { topic: rig.topic, consumerGroup: `${rig.prefix}-create-order` } }],
      },
    });
    admin = rig.kafka.admin();
    await admin.connect();
    nacos = await NacosConfig.connect({ ...rig.endpoints.nacos, namespace: nacosNamespace });
    backend = new SaleBackend({
      coupons: rig.coupons,
      orders: rig.orders,
      sale: rig.sale,
      consumerLag: async () => (await consumerLag(admin, `${rig.prefix}-create-order`, rig.topic)).total,
    });
  }, 240_000);

  const timers: NodeJS.Timeout[] = [];
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const p of processes) await p.stop(5_000);
    await admin?.disconnect();
    nacos?.close();
    await rig.stop();
    await kube?.stop();
  }, 60_000);

  it('runs a sale through every phase, survives a SIGKILL of the operator mid-sale, and ends with the invariants', async () => {
    const before = await annotations();
    expect(before).toMatchObject({ grabMin: '0', grabInitial: undefined, sourceMin: undefined, scaledMin: 1 });
    const first = await startOperatorProcess('operator-a');
    const created = newSeckill('double-11', 7_000, 14_000);
    await create(SECKILLS, created);
    const start = Date.parse(created.spec.window.start);

    await waitPhase('double-11', 'Warming', 15_000);
    const warm = await seckill('double-11');
    const couponId = warm.status?.couponId ?? '';
    const raised = await annotations();
    console.info(`warming ${start - Date.now()} ms before T0: ${JSON.stringify(raised)}`);
    expect(Date.now()).toBeLessThan(start);
    expect(raised).toEqual({ grabMin: '5', grabInitial: '5', workerMin: '3', sourceMin: '3', scaledMin: 3 });
    // The sale's own flow rules are live in Nacos flow-rules.yaml while it runs.
    expect((await flowRulesDoc()).coupons?.[couponId]).toEqual({
      perCoupon: { ratePerSecond: 2000, burst: 200 },
      perUser: { ratePerSecond: 1 },
    });
    expect(warm.status?.flowRules).toMatchObject({
      published: true,
      rules: { perCoupon: { ratePerSecond: 2000, burst: 200 }, perUser: { ratePerSecond: 1 } },
    });
    // Preheated before T0: the grab is refused by the window in Redis, not by a missing coupon.
    const early = await fireGrabs(
      rig.grabUrl,
      couponId,
      [[{ userId: 'early-bird', token: await rig.token('early-bird') }]],
      1,
    );
    expect(early.codes).toEqual({ NOT_STARTED: 1 });

    // What `kubectl get seckills -w` would show: the phase with the live counters.
    const watched: Array<Pick<SeckillStatus, 'phase' | 'sold' | 'ordersDurable'>> = [];
    const watcher = setInterval(() => {
      void seckill('double-11').then(
        ({ status }) =>
          watched.push({ phase: status?.phase, sold: status?.sold, ordersDurable: status?.ordersDurable }),
        () => undefined, // a sample lost to a slow answer changes nothing
      );
    }, 100);
    timers.push(watcher);
    await waitPhase('double-11', 'Open', 10_000);
    const waves = await pressingUsers(rig, 'sk-user-', 40, 3);
    const firstHalf = await fireGrabs(rig.grabUrl, couponId, waves.slice(0, 20), 16);
    // The operator dies without a chance to clean up; a new replica takes over once the Lease expires.
    // The whole process group: tsx runs the operator in a child process of its own.
    process.kill(-first.pid, 'SIGKILL');
    await first.exited;
    const second = await startOperatorProcess('operator-b');
    const secondHalf = await fireGrabs(rig.grabUrl, couponId, waves.slice(20), 16);
    const accepted = [...firstHalf.acceptedGrabIds, ...secondHalf.acceptedGrabIds];
    expect(accepted).toHaveLength(50);

    await waitPhase('double-11', 'Audited', 40_000);
    clearInterval(watcher);
    // Counters were refreshed while the sale ran, not only written at the end.
    expect(watched.some((w) => w.phase === 'Open' && (w.sold ?? 0) > 0 && (w.ordersDurable ?? 0) > 0)).toBe(true);
    const done = await seckill('double-11');
    const after = await annotations();
    console.info(
      `after the sale: ${JSON.stringify(after)}; status ${JSON.stringify({ ...done.status, conditions: undefined })}`,
    );
    expect(after).toEqual(before); // the values found before the sale came back, absent ones removed
    expect(done.status?.scaledFrom).toBeUndefined();
    expect((await flowRulesDoc()).coupons?.[couponId]).toBeUndefined(); // withdrawn after the sale
    expect(done.status?.flowRules?.published).toBe(false);

    await settle(rig, accepted);
    const byStatus = await rig.orders.countByStatus(couponId);
    const stockLeft = (await rig.sale.stockLeft(couponId)) ?? -1;
    expect(done.status).toMatchObject({
      sold: 50 - stockLeft,
      remaining: stockLeft,
      ordersDurable: byStatus.UNUSED + byStatus.USED,
      lag: 0,
      outbox: 0,
      report: { verdict: 'CONSISTENT', liveOrders: byStatus.UNUSED + byStatus.USED, totalStock: 50 },
    });
    expect(done.status?.ordersDurable).toBe(50);

    // No double work: the replacement found the warm-up done (in the status) and did only the rest.
    const actionsOf = (p: ServerProcess) =>
      readFileSync(p.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"action"') && line.includes('double-11'))
        .map((line) => (JSON.parse(line) as { action: string }).action);
    const [byFirst, bySecond] = [actionsOf(first), actionsOf(second)];
    console.info(`actions: killed operator ${byFirst.join(', ')}; its replacement ${bySecond.join(', ')}`);
    expect(byFirst).toEqual(['prepareCoupon', 'scaleUp', 'publishFlowRules']);
    expect(bySecond).toEqual(['scaleDown', 'withdrawFlowRules', 'audit']);

    // What `kubectl get seckills` prints: the CRD's printer columns, as a Table from the API server.
    const table = await kube.request(
      'GET',
      SECKILLS,
      undefined,
      undefined,
      'application/json;as=Table;v=v1;g=meta.k8s.io',
    );
    const { columnDefinitions, rows } = table.body as {
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
    };
    const columns = columnDefinitions.map((c) => c.name);
    expect(columns).toEqual([
      'Name',
      'Phase',
      'Coupon',
      'Stock',
      'Sold',
      'Remaining',
      'Lag',
      'Start',
      'End',
      'Reason',
      'Age',
    ]);
    const row = rows.find((r) => r.object.metadata.name === 'double-11')?.cells ?? [];
    console.info(`kubectl get seckills: ${columns.join(' ')}\n  ${row.join(' ')}`);
    expect(row.slice(0, 7)).toEqual(['double-11', 'Audited', couponId, 50, 50, 0, 0]);

    const reasons = await events('double-11');
    console.info(`events: ${reasons.join(', ')}`);
    for (const phase of ['Warming', 'Open', 'Closing', 'Audited']) expect(reasons).toContain(phase);

    const report = await checkInvariants(
      { couponId, initialStock: 50, perUserLimit: 2, acceptedGrabIds: accepted },
      rig.orders,
      rig.sale,
    );
    console.info(`invariants: ${report.line}`);
    expect(report.line).toBe('oversell=0 over_limit=0 lost=0 duplicate=0 stranded=0');
    for (const p of processes) await p.stop(5_000); // the next tests run operators of their own
  }, 150_000);

  it('refuses invalid specs and edits with readable messages from the API server', async () => {
    const bad = newSeckill('bad-window', 60_000, 10_000);
    bad.spec.window = { start: bad.spec.window.end, end: bad.spec.window.start };
    const both = newSeckill('both-coupons', 60_000, 10_000, {
      coupon: { ref: '01JD4X9Z8K7M6N5P4Q3R2S1T0V', inline: { name: 'x', faceValue: 1 } },
    });
    const zero = newSeckill('zero-stock', 60_000, 10_000, { stock: 0 });
    const messages = [];
    for (const body of [bad, both, zero]) {
      const res = await kube.request('POST', SECKILLS, body);
      expect(res.status).toBe(422);
      messages.push((res.body as { message: string }).message);
    }
    console.info(messages.join('\n'));
    expect(messages[0]).toContain('spec.window.end must be later than spec.window.start');
    expect(messages[1]).toContain('spec.coupon needs exactly one of ref or inline');
    expect(messages[2]).toContain('spec.stock');

    // Transition rules: the stock cannot drop below what is sold, the start cannot move once open.
    await create(SECKILLS, newSeckill('edited', 60_000, 10_000));
    const current = await seckill('edited');
    const status = await kube.request('PUT', `${SECKILLS}/edited/status`, {
      ...current,
      status: { phase: 'Open', sold: 30 },
    });
    expect(status.status).toBe(200);
    const lower = await kube.request(
      'PATCH',
      `${SECKILLS}/edited`,
      { spec: { stock: 20 } },
      'application/merge-patch+json',
    );
    expect(lower.status).toBe(422);
    expect((lower.body as { message: string }).message).toContain(
      'spec.stock cannot drop below the units already sold',
    );
    const moved = await kube.request(
      'PATCH',
      `${SECKILLS}/edited`,
      {
        spec: {
          window: {
            start: new Date(Date.now() + 120_000).toISOString(),
            end: new Date(Date.now() + 180_000).toISOString(),
          },
        },
      },
      'application/merge-patch+json',
    );
    expect(moved.status).toBe(422);
    expect((moved.body as { message: string }).message).toContain(
      'spec.window.start cannot change once the sale has opened',
    );
    await kube.request('DELETE', `${SECKILLS}/edited`);
  });

  it('never lets two replicas act at once: one holds the Lease, the other takes over only after it let go', async () => {
    // Both replicas run as the operator's service account, with exactly the RBAC of operator/deploy.
    const kubeConfig = await serviceAccountKubeConfig();
    const acted: Array<{ identity: string; at: number; action: string }> = [];
    const replica = (identity: string) =>
      startKubeOperator({
        kubeConfig,
        backend,
        logger,
        identity,
        watchNamespace: NS,
        leaseNamespace: NS,
        leaseName: 'couponkill-operator',
        leaseDurationMs: 3000,
        leaseRetryMs: 200,
        refreshMs: 300,
        pollMs: 100,
        onAction: (_object, action) => acted.push({ identity, at: Date.now(), action: action.kind }),
      });
    const a = replica('replica-a');
    const b = replica('replica-b');
    let both = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples += 1;
      if (a.elector.isLeader() && b.elector.isLeader()) both += 1;
    }, 20);
    try {
      await create(SECKILLS, newSeckill('replicated', 4_000, 4_000, { stock: 10 }));
      await waitPhase('replicated', 'Open', 15_000);
      const leader = a.elector.isLeader() ? a : b;
      const follower = leader === a ? b : a;
      const leaderId = leader === a ? 'replica-a' : 'replica-b';
      expect(follower.elector.isLeader()).toBe(false);
      const handedOverAt = Date.now();
      await leader.stop(); // gives the Lease up: the follower takes over at its next try
      await waitPhase('replicated', 'Audited', 30_000);
      expect(follower.elector.isLeader()).toBe(true);
      console.info(
        `actions: ${acted.map((x) => `${x.identity}:${x.action}`).join(' ')}; ${samples} samples, both leaders in ${both}`,
      );
      expect(both).toBe(0);
      // Before the hand-over only the first leader acted; after it only the follower.
      expect(acted.filter((x) => x.at < handedOverAt).every((x) => x.identity === leaderId)).toBe(true);
      expect(acted.filter((x) => x.at > handedOverAt).every((x) => x.identity !== leaderId)).toBe(true);
      expect(acted.map((x) => x.action)).toEqual(
        expect.arrayContaining(['prepareCoupon', 'scaleUp', 'scaleDown', 'audit']),
      );
    } finally {
      clearInterval(sampler);
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 90_000);

  it('deletes a running sale only after its finalizer scaled everything back', async () => {
    const before = await annotations();
    await create(SECKILLS, newSeckill('cancelled', 60_000, 60_000, { prewarmSeconds: 3600 }));
    const op = await startOperatorProcess('operator-c');
    await waitPhase('cancelled', 'Warming', 15_000);
    expect((await annotations()).grabMin).toBe('5');
    expect((await kube.request('DELETE', `${SECKILLS}/cancelled`)).status).toBe(200);
    await waitFor(async () => (await kube.request('GET', `${SECKILLS}/cancelled`)).status === 404, {
      what: 'the Seckill gone',
      timeoutMs: 15_000,
    });
    expect(await annotations()).toEqual(before);
    await op.stop();
  }, 60_000);
});
