import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosRuntime, ProxiedServer, ServerName } from './runtime.js';
import type { FaultStep, Killable } from './schedule.js';
import type { Toxic } from './toxiproxy.js';

/** Writes one progress line (the campaign prefixes it with the time into the schedule). */
export type Say = (line: string) => void;

const TOXICS: Record<'latency' | 'reset' | 'blackhole', (step: FaultStep) => Toxic> = {
  latency: (step) => ({
    type: 'latency',
    attributes: { latency: step.latencyMs, jitter: Math.round(step.latencyMs / 4) },
  }),
  reset: () => ({ type: 'reset_peer', attributes: { timeout: 0 } }),
  blackhole: () => ({ type: 'timeout', attributes: { timeout: 0 } }),
};

const SERVER_OF: Record<'redis' | 'mysql' | 'kafka' | 'nacos', ServerName> = {
  redis: 'redis',
  mysql: 'mariadb',
  kafka: 'kafka',
  nacos: 'nacos',
};

/**
 * Applies one fault, holds it, and undoes it: every fault ends with the system whole again
 * (a killed process restarted on its port and data, a frozen one thawed, a toxic removed).
 */
export async function runFault(runtime: ChaosRuntime, step: FaultStep, say: Say): Promise<void> {
  const [target, action] = step.kind.split(':') as [string, string];
  const hold = `${(step.holdMs / 1000).toFixed(1)} s`;
  if (target === 'kill') {
    const name = action as Killable;
    const pid = await runtime.kill(name);
    say(`fault kill:${name}: SIGKILL pid ${pid}; down for ${hold}`);
    await sleep(step.holdMs);
    await restart(runtime, name, say, `kill:${name}`);
    return;
  }
  const server = SERVER_OF[target as keyof typeof SERVER_OF];
  switch (action) {
    case 'pause': {
      // CLIENT PAUSE ALL: every client's commands wait, as in a long fork or a stalled primary.
      await runtime.redis.call('CLIENT', 'PAUSE', String(step.holdMs), 'ALL');
      say(`fault redis:pause: CLIENT PAUSE ${step.holdMs} ALL`);
      await sleep(step.holdMs);
      say('fault redis:pause: over');
      return;
    }
    case 'restart':
    case 'down': {
      const pid = await runtime.kill(server);
      say(`fault ${step.kind}: SIGKILL ${server} pid ${pid}; down for ${hold}`);
      await sleep(step.holdMs);
      await restart(runtime, server, say, step.kind);
      return;
    }
    case 'stop': {
      runtime.freeze(server, true);
      say(`fault ${step.kind}: SIGSTOP ${server} for ${hold}`);
      await sleep(step.holdMs);
      runtime.freeze(server, false);
      say(`fault ${step.kind}: SIGCONT ${server}`);
      return;
    }
    case 'latency':
    case 'reset':
    case 'blackhole': {
      const proxy = target as ProxiedServer;
      const toxic = TOXICS[action](step);
      await runtime.toxiproxy.addToxic(proxy, action, toxic);
      const detail = action === 'latency' ? ` ${step.latencyMs} ms` : '';
      say(`fault ${step.kind}: toxiproxy ${toxic.type}${detail} on ${proxy} for ${hold}`);
      await sleep(step.holdMs);
      await runtime.toxiproxy.removeToxic(proxy, action);
      say(`fault ${step.kind}: toxic removed`);
      return;
    }
    default:
      throw new Error(`unknown fault ${step.kind}`);
  }
}

async function restart(runtime: ChaosRuntime, name: Killable | ServerName, say: Say, kind: string): Promise<void> {
  const started = Date.now();
  await runtime.restart(name);
  say(`fault ${kind}: ${name} restarted (pid ${runtime.pidOf(name)}) in ${Date.now() - started} ms`);
}
