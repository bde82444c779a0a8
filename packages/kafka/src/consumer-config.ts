import type { ConsumerConfig } from 'kafkajs';
import { DEFAULTS } from './limits.ts';
import type { ConsumerTuning } from './types.ts';

/** kafkajs consumer settings shared by plain and transactional consumers: read_committed, no auto-created topics. */
export function consumerConfig(
  groupId: string,
  tuning: ConsumerTuning,
): ConsumerConfig & { heartbeatInterval: number } {
  const sessionTimeout = tuning.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs;
  const heartbeatInterval = tuning.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs;
  if (heartbeatInterval * 3 > sessionTimeout) {
    throw new RangeError('heartbeatIntervalMs must be at most a third of sessionTimeoutMs');
  }
  return {
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout,
    heartbeatInterval,
    rebalanceTimeout: tuning.rebalanceTimeoutMs ?? DEFAULTS.rebalanceTimeoutMs,
    maxWaitTimeInMs: tuning.maxWaitTimeMs ?? DEFAULTS.maxWaitTimeMs,
  };
}
