import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { z } from 'zod';
import { coerceEnvValue } from './env.js';
import { ConfigError } from './errors.js';
import { deepFreeze, deepMerge, isPlainObject, leafPaths, type Plain, setPath } from './merge.js';

const require = createRequire(import.meta.url);

/**
 * The YAML parser (about 70 modules), loaded on the first document parsed rather than at import:
 * a process without a config file or live documents never loads it.
 */
function parseYaml(text: string): unknown {
  return (require('yaml') as typeof Yaml).parse(text);
}

/** What a function declares about its configuration. */
export interface ConfigSpec<S extends z.ZodType> {
  /** Shown in error messages, e.g. `grab-coupon`. */
  readonly name: string;
  /** Validates the merged result; its defaults are the lowest layer. */
  readonly schema: S;
  /** Environment variable → dotted key, e.g. `{ PORT: 'port', REDIS_URL: 'redis.url' }`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Environment variable that names a YAML or JSON file layered over the defaults. */
  readonly fileEnv?: string;
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
}

/** Layers from lowest to highest precedence. `nacos` is the only one that changes at run time. */
export type LayerName = 'file' | 'env' | 'nacos';

interface Layer {
  readonly data: Plain;
  /** How a value of this layer is named in messages, e.g. `env PORT`. */
  readonly describe: (path: readonly string[]) => string;
}

export type ApplyResult = { readonly ok: true } | { readonly ok: false; readonly error: ConfigError };

type Listener<T> = (next: T, previous: T) => void;

/**
 * Holds the current configuration as a deeply frozen snapshot. Readers take `current` once per
 * request; a live update validates the whole merged result and swaps the reference, or keeps
 * the previous snapshot when the update is invalid.
 */
export class ConfigStore<S extends z.ZodType> {
  readonly #spec: ConfigSpec<S>;
  readonly #layers = new Map<LayerName, Layer>();
  readonly #listeners = new Set<Listener<z.output<S>>>();
  #current: z.output<S>;

  constructor(spec: ConfigSpec<S>, layers: ReadonlyMap<LayerName, Layer>) {
    this.#spec = spec;
    for (const [name, layer] of layers) this.#layers.set(name, layer);
    this.#current = this.#build(this.#layers);
  }

  get current(): z.output<S> {
    return this.#current;
  }

  /** Replaces one layer (in practice: the Nacos one) and swaps the snapshot if the result is valid. */
  applyLayer(name: LayerName, data: unknown, source: string = name): ApplyResult {
    if (!isPlainObject(data)) {
      return { ok: false, error: new ConfigError(`${this.#spec.name}: ${source} is not a mapping`) };
    }
    const layers = new Map(this.#layers);
    layers.set(name, { data, describe: () => source });
    try {
      const next = this.#build(layers);
      const previous = this.#current;
      this.#layers.set(name, layers.get(name) as Layer);
      this.#current = next;
      for (const listener of this.#listeners) listener(next, previous);
      return { ok: true };
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, error: err };
      throw err;
    }
  }

  /** Calls `listener` after every successful swap; returns a function that stops it. */
  onChange(listener: Listener<z.output<S>>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #build(layers: ReadonlyMap<LayerName, Layer>): z.output<S> {
    const order: LayerName[] = ['file', 'env', 'nacos'];
    let merged: Plain = {};
    const origin = new Map<string, string>();
    for (const name of order) {
      const layer = layers.get(name);
      if (layer === undefined) continue;
      merged = deepMerge(merged, layer.data);
      for (const path of leafPaths(layer.data)) origin.set(path.join('.'), layer.describe(path));
    }
    const result = this.#spec.schema.safeParse(merged);
    if (!result.success) {
      const problems = result.error.issues.map((issue) => {
        const key = issue.path.map(String).join('.');
        return `${key || '(root)'}: ${issue.message} (${originOf(origin, key)})`;
      });
      throw new ConfigError(`Invalid configuration for ${this.#spec.name}: ${problems.join('; ')}`);
    }
    return deepFreeze(result.data);
  }
}

/** Where the value at `key` came from: its own source, a parent's, or a child's. */
function originOf(origin: ReadonlyMap<string, string>, key: string): string {
  const parts = key.split('.');
  for (let n = parts.length; n > 0; n--) {
    const found = origin.get(parts.slice(0, n).join('.'));
    if (found !== undefined) return `from ${found}`;
  }
  const child = [...origin].find(([path]) => path.startsWith(`${key}.`));
  return child === undefined ? 'no value given' : `from ${child[1]}`;
}

/**
 * Builds the startup snapshot: schema defaults < file (`spec.fileEnv`) < environment.
 * Throws ConfigError with a one-line message; wrap in `loadOrExit` at a process entry point.
 */
export function loadConfig<S extends z.ZodType>(spec: ConfigSpec<S>, options: LoadOptions = {}): ConfigStore<S> {
  const env = options.env ?? process.env;
  const layers = new Map<LayerName, Layer>();

  const filePath = spec.fileEnv === undefined ? undefined : env[spec.fileEnv];
  if (filePath !== undefined && filePath !== '') {
    const data = readConfigFile(spec.name, filePath);
    layers.set('file', { data, describe: () => `file ${filePath}` });
  }

  const envData: Plain = {};
  const envNames = new Map<string, string>();
  for (const [variable, key] of Object.entries(spec.env ?? {})) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const path = key.split('.');
    setPath(envData, path, coerceEnvValue(spec.schema, path, raw));
    envNames.set(key, variable);
  }
  layers.set('env', { data: envData, describe: (path) => `env ${envNames.get(path.join('.')) ?? '?'}` });

  return new ConfigStore(spec, layers);
}

function readConfigFile(name: string, path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${name}: cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${name}: config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data == null) return {};
  if (!isPlainObject(data)) throw new ConfigError(`${name}: config file ${path} must hold a mapping`);
  return data;
}

/**
 * Parses a YAML (or JSON) document as published in Nacos into a mapping, or explains why not.
 * Live updates go through this and then `ConfigStore.applyLayer`.
 */
export function parseConfigDocument(text: string): { ok: true; data: Plain } | { ok: false; reason: string } {
  try {
    const data: unknown = parseYaml(text);
    if (data == null) return { ok: true, data: {} };
    return isPlainObject(data) ? { ok: true, data } : { ok: false, reason: 'document is not a mapping' };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0] ?? 'invalid YAML' };
  }
}

/** The variable that names a program's config file (YAML or JSON), for every function and the operator. */
export const CONFIG_FILE_ENV = 'CONFIG_FILE';

/**
 * The config loader of one program: schema defaults < the file named by `CONFIG_FILE` < the
 * environment variables of `env` (variable → dotted key).
 */
export function configLoader<S extends z.ZodType>(
  name: string,
  schema: S,
  env: Readonly<Record<string, string>>,
): (processEnv?: NodeJS.ProcessEnv) => ConfigStore<S> {
  return (processEnv = process.env) => loadConfig({ name, schema, fileEnv: CONFIG_FILE_ENV, env }, { env: processEnv });
}
