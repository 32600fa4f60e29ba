import type { z } from 'zod';

/** One CloudEvents `type` and the zod schema of its `data`, shared by producer and consumer. */
export interface EventType<S extends z.ZodType = z.ZodType> {
  /** `com.couponkill.<noun>.<verb-past>.v<N>` */
  readonly type: string;
  readonly schema: S;
}

export function defineEventType<S extends z.ZodType>(type: string, schema: S): EventType<S> {
  if (!/^com\.couponkill\.[a-z]+(\.[a-z]+)+\.v\d+$/.test(type)) {
    throw new Error(`event type ${type} must look like com.couponkill.<noun>.<verb-past>.v<N>`);
  }
  return Object.freeze({ type, schema });
}

export type EventData<E extends EventType> = z.output<E['schema']>;
