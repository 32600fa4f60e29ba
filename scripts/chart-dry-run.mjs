#!/usr/bin/env node
// Server-side dry run of rendered chart manifests: every object is POSTed with dryRun=All and
// fieldValidation=Strict, so the API server checks it against its real schema (unknown fields,
// wrong types, CEL rules) without storing it. The Seckill CRD is created for real first, so the
// example resource is checked against it. Kinds of other projects (Knative, Istio, KEDA,
// prometheus-operator) are checked against their CRDs when the cluster has them; with
// --stub-crds, schema-less stand-ins are created so they are at least accepted by kind.
//   API_SERVER=https://127.0.0.1:6443 API_TOKEN=… node scripts/chart-dry-run.mjs [--stub-crds] file.yaml…
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const server = process.env.API_SERVER;
const token = process.env.API_TOKEN;
const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!server || !token || files.length === 0) {
  console.error('usage: API_SERVER=https://… API_TOKEN=… node scripts/chart-dry-run.mjs [--stub-crds] rendered.yaml…');
  process.exit(2);
}
process.env.NODE_TLS_REJECT_UNAUTHORIZED ??= '0';

async function api(method, path, body) {
  const res = await fetch(server + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  } catch {
    return { status: res.status, body: { message: text.trim() } };
  }
}

const discovery = new Map();
async function resourceOf(apiVersion, kind) {
  if (!discovery.has(apiVersion)) {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await api('GET', path);
    discovery.set(apiVersion, res.status === 200 ? res.body.resources : []);
  }
  return discovery.get(apiVersion).find((r) => r.kind === kind && !r.name.includes('/'));
}

async function stubCrd(apiVersion, kind) {
  const [group, version] = apiVersion.split('/');
  const plural = kind.toLowerCase() + (kind.endsWith('s') ? 'es' : 's');
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
  const res = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (res.status !== 201 && res.status !== 409) throw new Error(`stub CRD ${crd.metadata.name}: ${res.body.message}`);
  discovery.delete(apiVersion);
  for (let i = 0; i < 50 && !(await resourceOf(apiVersion, kind)); i++) {
    discovery.delete(apiVersion);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const objects = files.flatMap((f) =>
  parseAllDocuments(readFileSync(f, 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o && o.kind),
);
const namespaces = new Set(objects.map((o) => o.metadata.namespace ?? 'couponkill'));
for (const ns of namespaces) {
  await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}
// CRDs of the chart first, for real, so its custom resources can be checked.
for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
  const res = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (res.status !== 201 && res.status !== 409)
    console.log(`FAIL CustomResourceDefinition ${crd.metadata.name}: ${res.body.message}`);
}

let failed = 0;
let passed = 0;
for (const o of objects) {
  let r = await resourceOf(o.apiVersion, o.kind);
  if (!r && process.argv.includes('--stub-crds') && o.apiVersion.includes('.')) {
    await stubCrd(o.apiVersion, o.kind);
    r = await resourceOf(o.apiVersion, o.kind);
  }
  const name = `${o.kind} ${o.metadata.name}`;
  if (!r) {
    failed++;
    console.log(`FAIL ${name}: the server does not serve ${o.apiVersion} ${o.kind}`);
    continue;
  }
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${o.metadata.namespace ?? 'couponkill'}` : '';
  const res = await api('POST', `${base}${ns}/${r.name}?dryRun=All&fieldValidation=Strict`, o);
  if (res.status === 201 || res.status === 200 || (res.status === 409 && o.kind === 'CustomResourceDefinition'))
    passed++;
  else {
    failed++;
    console.log(`FAIL ${name}: ${res.body.message}`);
  }
}
console.log(`dry run: ${passed} accepted, ${failed} refused`);
process.exit(failed === 0 ? 0 : 1);
