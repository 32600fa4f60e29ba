import type { z } from 'zod';

/**
 * Environment values are strings; this turns one into what the schema expects at its key,
 * so `PORT=8080` is a number and `KAFKA_BROKERS=a:9092,b:9092` an array. A value that does not
 * convert is passed through unchanged and the schema reports it.
 */
export function coerceEnvValue(schema: z.ZodType, path: readonly string[], raw: string): unknown {
  const target = schemaAt(schema, path);
  switch (target === undefined ? undefined : kindOf(target)) {
    case 'number':
    case 'int':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw;
    case 'array':
      return raw.trimStart().startsWith('[') ? parseJson(raw) : splitList(raw);
    case 'object':
    case 'record':
      return parseJson(raw);
    default:
      return raw;
  }
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Looks through wrappers (optional, default, pipe, …) to the schema that decides the kind. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(current);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

function kindOf(schema: z.ZodType): string {
  return defOf(unwrap(schema)).type;
}

function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    if (current === undefined) return undefined;
    const shape: Record<string, z.ZodType> | undefined = defOf(unwrap(current)).shape;
    current = shape?.[key];
  }
  return current;
}
