import { createHash } from 'node:crypto';
import type { RedisClient } from '@hub/redis';

/**
 * Failed console sign-ins, counted in Redis per username and per network in fixed 15-minute windows
 * (`console-sign-in` cache, contracts/src/state.ts). Over either limit, sign-ins are refused (429) until the window
 * ends, even with the right password, so guessing is slow whoever asks. Usernames are counted by a hash, so Redis
 * holds nothing anyone typed. Only failures count: a person who signs in is never held back by others' successes.
 */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

export interface SignInLimitOptions {
  readonly redis: RedisClient;
  readonly perAccount: number;
  readonly perNetwork: number;
  readonly now: () => Date;
}

export interface SignInLimits {
  /** Milliseconds until the window ends if either the username's or the network's failures are over their limit. */
  blocked(username: string, network: string): Promise<number | undefined>;
  /**
   * Counts a failure; answers whether it reached a limit (audited once, as `rate-limited`: the refusals that follow
   * in the window are not audited one by one, so a flood adds a bounded number of events per key and window).
   */
  fail(username: string, network: string): Promise<{ readonly reachedLimit: boolean }>;
}

const hashed = (value: string) => createHash('sha256').update(value.toLowerCase()).digest('hex').slice(0, 32);

export function createSignInLimits(options: SignInLimitOptions): SignInLimits {
  const { redis, perAccount, perNetwork, now } = options;
  const window = () => Math.floor(now().getTime() / SIGN_IN_WINDOW_MS);
  const keys = (username: string, network: string) => {
    const w = window();
    return {
      account: `console:sign-in-failures:account:${hashed(username)}:${w}`,
      network: `console:sign-in-failures:network:${network}:${w}`,
      left: (w + 1) * SIGN_IN_WINDOW_MS - now().getTime(),
    };
  };
  return {
    async blocked(username, network) {
      const k = keys(username, network);
      const [account, net] = await redis.mget(k.account, k.network);
      return Number(account ?? 0) >= perAccount || Number(net ?? 0) >= perNetwork ? k.left : undefined;
    },
    async fail(username, network) {
      const k = keys(username, network);
      const results = await redis
        .multi()
        .incr(k.account)
        .pexpire(k.account, k.left + 1_000)
        .incr(k.network)
        .pexpire(k.network, k.left + 1_000)
        .exec();
      const account = Number(results?.[0]?.[1] ?? 0);
      const net = Number(results?.[2]?.[1] ?? 0);
      return { reachedLimit: account === perAccount || net === perNetwork };
    },
  };
}
