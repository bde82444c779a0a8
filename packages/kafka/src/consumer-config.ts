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
    ...fetchConfig(tuning, DEFAULTS.fetch),
  };
}

/**
 * The fetch's pair: both `defaults`, or the caller's `maxWaitTimeMs` with its `minBytes` (else 1 byte:
 * a long wait with a byte threshold would delay every record by the whole wait).
 */
export function fetchConfig(
  tuning: ConsumerTuning,
  defaults: { readonly minBytes: number; readonly maxWaitTimeMs: number },
): { minBytes: number; maxWaitTimeInMs: number } {
  const maxWaitTimeInMs = tuning.maxWaitTimeMs ?? defaults.maxWaitTimeMs;
  const minBytes = tuning.minBytes ?? (tuning.maxWaitTimeMs === undefined ? defaults.minBytes : 1);
  if (!Number.isSafeInteger(minBytes) || minBytes < 1) throw new RangeError('minBytes must be a positive integer');
  if (!Number.isSafeInteger(maxWaitTimeInMs) || maxWaitTimeInMs < 0) {
    throw new RangeError('maxWaitTimeMs must be a non-negative integer');
  }
  return { minBytes, maxWaitTimeInMs };
}
