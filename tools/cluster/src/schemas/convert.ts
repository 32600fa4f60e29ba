/**
 * Turns Kubernetes OpenAPI definitions and CRD schemas into standalone, strict JSON schemas laid
 * out the way kubeconform looks them up. Strict means: an object that lists its properties
 * accepts no others (a typo in a value file must fail), unless the schema says it preserves
 * unknown fields.
 */
export type JsonSchema = Record<string, unknown>;

interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** kubeconform's default file name for a built-in kind: `deployment-apps-v1.json`, `service-v1.json`. */
export function builtinFileName({ group, version, kind }: Gvk): string {
  const suffix = group === '' ? `-${version}` : `-${group.split('.')[0]!.toLowerCase()}-${version}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

/** The file of a CRD kind, by full group so `networking.istio.io` and `networking.k8s.io` never collide. */
export function crdFileName({ group, version, kind }: Gvk): string {
  return `${group}/${kind.toLowerCase()}_${version}.json`;
}

/** One standalone schema per kind from a Kubernetes `swagger.json`, references expanded inline. */
export function schemasFromSwagger(swagger: { definitions: Record<string, JsonSchema> }): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  const { definitions } = swagger;
  for (const [name, definition] of Object.entries(definitions)) {
    const gvks = definition['x-kubernetes-group-version-kind'] as Gvk[] | undefined;
    if (gvks === undefined || gvks.length !== 1) continue; // shared option types such as DeleteOptions
    const expanded = expand(definition, definitions, [name]);
    out.set(builtinFileName(gvks[0]!), { $schema: 'http://json-schema.org/draft-07/schema#', ...strict(expanded) });
  }
  return out;
}

const IMPLICIT_FIELDS: JsonSchema = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

/** Schemas of every served version of a CustomResourceDefinition document. */
export function schemasFromCrd(crd: JsonSchema): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  const spec = crd['spec'] as
    | {
        group: string;
        names: { kind: string };
        versions?: { name: string; schema?: { openAPIV3Schema?: JsonSchema } }[];
      }
    | undefined;
  if (spec === undefined) return out;
  for (const version of spec.versions ?? []) {
    const schema = version.schema?.openAPIV3Schema;
    if (schema === undefined) continue;
    const file = crdFileName({ group: spec.group, version: version.name, kind: spec.names.kind });
    // The API server accepts these on every object; many CRD schemas leave them out.
    const properties = { ...IMPLICIT_FIELDS, ...((schema['properties'] as JsonSchema | undefined) ?? {}) };
    out.set(file, { $schema: 'http://json-schema.org/draft-07/schema#', ...strict({ ...schema, properties }) });
  }
  return out;
}

/**
 * Replaces `{"$ref": "#/definitions/X"}` with X, recursively. A reference back into a definition
 * being expanded (JSONSchemaProps refers to itself) becomes `{}`: anything is accepted there.
 * Only string `$ref`s are references; JSONSchemaProps also has a *property* named `$ref`.
 */
function expand(node: unknown, definitions: Record<string, JsonSchema>, stack: string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => expand(item, definitions, stack));
  if (node === null || typeof node !== 'object') return node;
  const object = node as JsonSchema;
  const ref = object['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const name = ref.slice('#/definitions/'.length);
    const target = definitions[name];
    if (target === undefined || stack.includes(name)) return {};
    const { $ref: _ignored, ...rest } = object;
    return { ...(expand(target, definitions, [...stack, name]) as JsonSchema), ...rest };
  }
  const result: JsonSchema = {};
  for (const [key, value] of Object.entries(object)) result[key] = expand(value, definitions, stack);
  return result;
}

/** Closes objects, maps Kubernetes extensions to JSON Schema, and lets optional fields be null. */
export function strict(node: unknown): JsonSchema {
  return walk(node, true) as JsonSchema;
}

function walk(node: unknown, required: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => walk(item, false));
  if (node === null || typeof node !== 'object') return node;
  const source = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'properties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const needed = new Set((source['required'] as string[] | undefined) ?? []);
      const properties: JsonSchema = {};
      for (const [name, schema] of Object.entries(value)) properties[name] = walk(schema, needed.has(name));
      out[key] = properties;
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = walk(value, true);
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = (value as unknown[]).map((item) => walk(item, true));
    } else {
      out[key] = value;
    }
  }
  const intOrString = source['x-kubernetes-int-or-string'] === true || source['format'] === 'int-or-string';
  if (intOrString) {
    delete out['type'];
    delete out['format'];
    out['anyOf'] ??= [{ type: 'integer' }, { type: 'string' }];
  }
  // OpenAPI 3.0's boolean exclusiveMinimum/Maximum is a number in draft-07 (a boolean there makes
  // the whole schema uncompilable, which kubeconform reports as a missing schema).
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] === 'boolean') {
      if (out[flag] === true && typeof out[bound] === 'number') out[flag] = out[bound];
      else delete out[flag];
      if (source[flag] === true) delete out[bound];
    }
  }
  const preserves = source['x-kubernetes-preserve-unknown-fields'] === true;
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined && !preserves) {
    out['additionalProperties'] = false;
  }
  // An optional field set to null is treated as unset by the API server; Helm renders those often.
  const type = out['type'];
  if (typeof type === 'string' && (!required || source['nullable'] === true)) out['type'] = [type, 'null'];
  if (intOrString && !required) out['anyOf'] = [...(out['anyOf'] as unknown[]), { type: 'null' }];
  return out;
}
