import type { NacosConfig } from './client.js';

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface TypedWatch<T> {
  /** The last valid value (or the initial one until a valid document arrives). */
  readonly current: T;
  stop(): void;
}

export interface WatchOptions<T> {
  readonly dataId: string;
  /** Parses and validates a document; an invalid one is rejected and the previous value stays. */
  readonly parse: (content: string) => ParseResult<T>;
  readonly initial: T;
  readonly onChange?: (next: T, previous: T) => void;
  readonly onReject?: (reason: string, content: string) => void;
}

/** Keeps a typed, validated snapshot of one data id, swapped whole on every valid change. */
export function watchConfig<T>(nacos: NacosConfig, options: WatchOptions<T>): TypedWatch<T> {
  let current = options.initial;
  const stop = nacos.subscribe(options.dataId, (content) => {
    const parsed = options.parse(content ?? '');
    if (!parsed.ok) {
      options.onReject?.(parsed.reason, content);
      return;
    }
    const previous = current;
    current = parsed.value;
    options.onChange?.(current, previous);
  });
  return {
    get current() {
      return current;
    },
    stop,
  };
}
