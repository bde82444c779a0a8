import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { recordSlots } from './eval-by-hash.ts';

/**
 * Runs `script` once per call in one pipeline (one write, one round trip) instead of one `eval` after another:
 * EVALSHA each, and when Redis answers NOSCRIPT (first use since it started) loads the script once and sends the
 * calls that failed again, in order. For a batch of idempotent writes (a projector's fetched batch, issue 10). A
 * call is `numKeys, ...keys, ...args` as for `eval`. Answers each call's reply, in order; rejects with the first
 * error (the other calls of the pipeline have run: the callers' writes are idempotent, so the batch is run again).
 */
export async function evalEach(
  client: Redis,
  script: string,
  calls: readonly (readonly [numKeys: number, ...keysAndArgs: (string | number)[]])[],
): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const sha = createHash('sha1').update(script).digest('hex');
  // Recorded as `eval` records them, for the test that every script keeps to one Redis Cluster slot.
  for (const call of calls) recordSlots(sha, client.options.keyPrefix ?? '', call);
  const replies: unknown[] = [];
  let pending = calls.map((_, index) => index);
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    const pipeline = client.pipeline();
    for (const index of pending) {
      const call = calls[index];
      if (call !== undefined) pipeline.evalsha(sha, ...call);
    }
    const results = (await pipeline.exec()) ?? [];
    const again: number[] = [];
    results.forEach(([error, value], i) => {
      const index = pending[i] ?? -1;
      if (error === null) replies[index] = value;
      else if (attempt === 0 && error.message.startsWith('NOSCRIPT')) again.push(index);
      else throw error;
    });
    if (again.length > 0) await client.script('LOAD', script);
    pending = again;
  }
  return replies;
}
