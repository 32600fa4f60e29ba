/** Plain-object helpers for layering configuration sources. */

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Keys that would let a config source reach Object.prototype. */
const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** Merges `over` onto `base`: objects recursively, everything else (arrays too) replaced. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (UNSAFE_KEYS.has(key) || value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Sets `value` at a dotted path, creating objects on the way. */
export function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target;
  path.forEach((key, i) => {
    if (UNSAFE_KEYS.has(key)) throw new Error(`unsafe config key "${key}"`);
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Plain;
  });
}

/** Every leaf path of a plain object (arrays count as leaves). */
export function leafPaths(value: Plain, prefix: readonly string[] = []): string[][] {
  return Object.entries(value).flatMap(([key, child]) =>
    isPlainObject(child) && Object.keys(child).length > 0 ? leafPaths(child, [...prefix, key]) : [[...prefix, key]],
  );
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
