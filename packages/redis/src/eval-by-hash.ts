import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Scripts are the hub's own constants; a client that sees more than this is misused (a script built from data). */
const MAX_SCRIPTS = 256;

/**
 * Makes `client.eval(script, numKeys, ...)` send EVALSHA with the script's SHA-1, and the script itself only when
 * Redis answers NOSCRIPT (first use, or after a restart emptied its script cache; EVAL caches it again). Callers keep
 * writing `redis.eval(SCRIPT, ...)`; each call then carries 40 bytes instead of the script.
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
      sha = createHash('sha1').update(script).digest('hex');
      shas.set(script, sha);
    }
    try {
      return await evalSha(sha, ...rest);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return evalScript(script, ...rest);
      throw error;
    }
  };
}
