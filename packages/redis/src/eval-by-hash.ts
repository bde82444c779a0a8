import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keySlot } from './key-slot.ts';

/** Scripts are the hub's own constants; a client that sees more than this is misused (a script built from data). */
const MAX_SCRIPTS = 256;

/** Per script (its SHA-1), what this process has run: how many calls, the most keys and the most slots of one call. */
export interface ScriptRun {
  readonly calls: number;
  readonly maxKeys: number;
  readonly maxSlots: number;
}
const runs = new Map<string, ScriptRun>();

/** What every client of this process has run, by script SHA-1: for the test that every script keeps to one slot. */
export function scriptsRun(): ReadonlyMap<string, ScriptRun> {
  return runs;
}

export const scriptSha = (script: string) => createHash('sha1').update(script).digest('hex');

/**
 * Makes `client.eval(script, numKeys, ...)` send EVALSHA with the script's SHA-1, and the script itself only when
 * Redis answers NOSCRIPT (first use, or after a restart emptied its script cache; EVAL caches it again). Callers keep
 * writing `redis.eval(SCRIPT, ...)`; each call then carries 40 bytes instead of the script.
 *
 * It also records, per script, the Redis Cluster slots of each call's keys (with the client's key prefix, as Redis
 * sees them): the hub's keys are tagged so that every script would run on Cluster (README "Redis in production"),
 * and a single Redis, which runs a cross-slot script, would not tell; `scriptsRun()` does, for the test that runs the
 * hub and checks every script (test/e2e/redis-cluster-slots.int.test.ts). Recorded, not refused: a module's own
 * tests run its scripts under a plain key prefix, without the generation tag the hub gives each view.
 */
export function evalByHash(client: Redis): void {
  const shas = new Map<string, string>();
  const methods = client as unknown as Record<'eval' | 'evalsha', (...args: unknown[]) => Promise<unknown>>;
  const evalScript = methods.eval.bind(client);
  const evalSha = methods.evalsha.bind(client);
  methods.eval = async (script: unknown, ...rest: unknown[]) => {
    if (typeof script !== 'string') return evalScript(script, ...rest);
    let sha = shas.get(script);
    if (sha === undefined) {
      if (shas.size >= MAX_SCRIPTS) return evalScript(script, ...rest);
      sha = scriptSha(script);
      shas.set(script, sha);
    }
    recordSlots(sha, client.options.keyPrefix ?? '', rest);
    try {
      return await evalSha(sha, ...rest);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return evalScript(script, ...rest);
      throw error;
    }
  };
}

/** `rest` is `numKeys, ...keys, ...args`, as `eval` takes them. Also for `evalEach`'s calls. */
export function recordSlots(sha: string, prefix: string, rest: readonly unknown[]): void {
  const count = Number(rest[0]);
  const keys = Number.isInteger(count) && count > 0 ? rest.slice(1, 1 + count) : [];
  const slots = new Set(keys.map((key) => keySlot(`${prefix}${String(key)}`)));
  const seen = runs.get(sha);
  runs.set(sha, {
    calls: (seen?.calls ?? 0) + 1,
    maxKeys: Math.max(seen?.maxKeys ?? 0, keys.length),
    maxSlots: Math.max(seen?.maxSlots ?? 0, slots.size),
  });
}
