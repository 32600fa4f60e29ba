import { describe, expect, it } from 'vitest';
import { builtinFileName, crdFileName, schemasFromCrd, schemasFromSwagger, strict } from '../src/schemas/convert.js';

describe('schema conversion', () => {
  it('names files the way kubeconform looks them up', () => {
    expect(builtinFileName({ group: '', version: 'v1', kind: 'Service' })).toBe('service-v1.json');
    expect(builtinFileName({ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' })).toBe(
      'networkpolicy-networking-v1.json',
    );
    expect(crdFileName({ group: 'networking.istio.io', version: 'v1', kind: 'Gateway' })).toBe(
      'networking.istio.io/gateway_v1.json',
    );
  });

  it('closes objects unless they preserve unknown fields, and lets optional fields be null', () => {
    const out = strict({
      type: 'object',
      required: ['a'],
      properties: {
        a: { type: 'string' },
        b: { type: 'object', properties: { c: { type: 'integer' } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { d: { type: 'string' } } },
        port: { 'x-kubernetes-int-or-string': true },
      },
    });
    expect(out['additionalProperties']).toBe(false);
    const props = out['properties'] as Record<string, Record<string, unknown>>;
    expect(props['a']!['type']).toBe('string');
    expect(props['b']!['type']).toEqual(['object', 'null']);
    expect(props['b']!['additionalProperties']).toBe(false);
    expect(props['free']!['additionalProperties']).toBeUndefined();
    expect(props['port']!['anyOf']).toEqual([{ type: 'integer' }, { type: 'string' }, { type: 'null' }]);
  });

  it('expands references and stops at recursion', () => {
    const schemas = schemasFromSwagger({
      definitions: {
        Node: {
          type: 'object',
          properties: { child: { $ref: '#/definitions/Node' }, meta: { $ref: '#/definitions/Meta' } },
          'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Node' }],
        },
        Meta: { type: 'object', properties: { name: { type: 'string' }, $ref: { type: 'string' } } },
      },
    });
    const node = schemas.get('node-v1.json') as { properties: Record<string, Record<string, unknown>> };
    expect(node.properties['child']).toEqual({});
    const meta = node.properties['meta'] as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(meta.properties)).toEqual(['name', '$ref']);
    expect(meta.additionalProperties).toBe(false);
  });

  it('emits one schema per CRD version', () => {
    const schemas = schemasFromCrd({
      kind: 'CustomResourceDefinition',
      spec: {
        group: 'couponkill.io',
        names: { kind: 'Seckill' },
        versions: [
          { name: 'v1alpha1', schema: { openAPIV3Schema: { type: 'object' } } },
          { name: 'v1', schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
    });
    expect([...schemas.keys()]).toEqual(['couponkill.io/seckill_v1alpha1.json', 'couponkill.io/seckill_v1.json']);
  });
});
