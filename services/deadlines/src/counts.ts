import type { RedisClient } from '@hub/redis';
import { createDeadlineStore } from './store.ts';

/**
 * How many notifications are open in each deadline state now, for metrics: `overdue` (a deadline passed unmet,
 * recorded only), `escalated` (and an escalation notice is open), `not-delivered` (the final deadline passed
 * unacknowledged). Counts only. `redis` is the deadlines view's client (`ServiceDeps.viewRedis('deadlines')`).
 */
export function deadlineCounts(
  redis: RedisClient,
): Promise<{ overdue: number; escalated: number; notDelivered: number }> {
  return createDeadlineStore(redis)
    .counts()
    .then((counts) => ({
      overdue: counts.overdue,
      escalated: counts.escalated,
      notDelivered: counts['not-delivered'],
    }));
}
