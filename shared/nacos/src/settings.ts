import { z } from 'zod';
import type { NacosOptions } from './client.js';

/**
 * The `nacos` section of a function that reads live documents from Nacos. Without `serverAddr`
 * the function runs on its file and embedded defaults (a laptop, a test, a cluster without Nacos).
 */
export const nacosSettingsSchema = z.object({
  /** `host:port` of the Nacos HTTP API. */
  serverAddr: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'expected host:port')
    .optional(),
  /** Namespace (tenant) id, one per environment; empty = the public namespace. */
  namespace: z.string().default(''),
  group: z.string().min(1).default('COUPONKILL'),
  username: z.string().optional(),
  password: z.string().optional(),
});
export type NacosSettings = z.output<typeof nacosSettingsSchema>;

/** The environment variables of that section (for `loadConfig`'s env map); `make servers` prints them. */
export const NACOS_ENV = {
  NACOS_SERVER_ADDR: 'nacos.serverAddr',
  NACOS_NAMESPACE: 'nacos.namespace',
  NACOS_GROUP: 'nacos.group',
  NACOS_USERNAME: 'nacos.username',
  NACOS_PASSWORD: 'nacos.password',
} as const;

/** Client options for these settings, or undefined when no Nacos is configured. */
export function nacosOptionsFrom(settings: NacosSettings): NacosOptions | undefined {
  const { serverAddr, ...rest } = settings;
  return serverAddr === undefined ? undefined : { serverAddr, ...rest };
}
