/**
 * claimOnce (SET key NX EX) through @hub/redis against a real Redis: one claim in flight, many in flight, and claims
 * of keys already taken. Keys live under a fresh prefix and are deleted at the end.
 *
 *   node test/bench/redis-claim.ts [--claims=10000] [--concurrency=50] [--timeout-s=120]
 */
import { randomBytes } from 'node:crypto';
import { claimOnce, closeRedis, createRedis, pingRedis, scanKeys, type RedisClient } from '@hub/redis';
import { createLogger } from '@hub/logger';
import {
  intOption,
  perSecond,
  progress,
  runStandalone,
  summarize,
  timedConcurrently,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

interface RedisBenchOptions {
  readonly url: string;
  readonly claims: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
}

export function redisOptions(argv: readonly string[]): RedisBenchOptions {
  return {
    url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6380',
    claims: intOption(argv, 'claims', 'BENCH_CLAIMS', 10_000),
    concurrency: intOption(argv, 'concurrency', 'BENCH_REDIS_CONCURRENCY', 50),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_REDIS_TIMEOUT_S', 120) * 1000,
  };
}

const TTL_SECONDS = 300; // so that even a run killed before its clean-up leaves nothing for long
const WARM_UP = 500;

/** Claims `keys(i)` for i < count with `concurrency` in flight; every answer must equal `expected`. */
async function claims(
  redis: RedisClient,
  count: number,
  concurrency: number,
  keys: (index: number) => string,
  expected: boolean,
): Promise<{ readonly elapsedMs: number; readonly latencies: number[] }> {
  return timedConcurrently(count, concurrency, async (index) => {
    const claimed = await claimOnce(redis, keys(index), TTL_SECONDS);
    if (claimed !== expected) throw new Error(`claimOnce(${keys(index)}) answered ${claimed}, expected ${expected}`);
  });
}

export async function redisClaim(options: RedisBenchOptions): Promise<BenchRow[]> {
  const { claims: n, concurrency } = options;
  const prefix = `bench:${randomBytes(5).toString('hex')}:`;
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const redis = createRedis({ url: options.url, keyPrefix: prefix, connectionName: 'bench-redis', logger });
  const warm = (index: number): string => `claim:warm:${index}`;
  const single = (index: number): string => `claim:single:${index}`;
  const many = (index: number): string => `claim:many:${index}`;
  const rows: BenchRow[] = [];
  const run = async (
    label: string,
    count: number,
    inFlight: number,
    keys: (index: number) => string,
    expected: boolean,
  ): Promise<void> => {
    const result = await claims(redis, count, inFlight, keys, expected);
    if (label !== '') {
      rows.push({
        bench: 'redis',
        case: label,
        count,
        perSecond: perSecond(count, result.elapsedMs),
        latency: summarize(result.latencies),
      });
    }
  };
  try {
    await pingRedis(redis, 5_000);
    progress(`redis: prefix ${prefix}, ${n} claims per case, ${concurrency} in flight`);
    await withDeadline(
      (async () => {
        await run('', WARM_UP, concurrency, warm, true);
        await run('claimOnce new key, 1 in flight', n, 1, single, true);
        await run(`claimOnce new key, ${concurrency} in flight`, n, concurrency, many, true);
        await run(`claimOnce taken key, ${concurrency} in flight`, n, concurrency, many, false);
      })(),
      options.timeoutMs,
      'redis claims',
    );
    return rows;
  } finally {
    const names = (keys: (index: number) => string, count: number): string[] =>
      Array.from({ length: count }, (_, i) => keys(i));
    await cleanUp(redis, [...names(warm, WARM_UP), ...names(single, n), ...names(many, n)]);
  }
}

/** Deletes every key written (names relative to the prefix), checks none is left, then closes the client. */
async function cleanUp(redis: RedisClient, keys: readonly string[]): Promise<void> {
  try {
    for (let first = 0; first < keys.length; first += 1_000) await redis.del(...keys.slice(first, first + 1_000));
    const left = await scanKeys(redis, '*', { maxKeys: 1_000 });
    if (left.length > 0) throw new Error(`redis: ${left.length} benchmark keys left under the prefix`);
  } finally {
    await closeRedis(redis);
  }
}

export async function runRedisBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = redisOptions(argv);
  return withHardTimeout(options.timeoutMs + 30_000, 'redis', () => redisClaim(options));
}

if (import.meta.main) await runStandalone(() => runRedisBench(process.argv.slice(2)));
