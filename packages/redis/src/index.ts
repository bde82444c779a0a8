export {
  createRedis,
  pingRedis,
  closeRedis,
  scanKeys,
  isRedisUnavailable,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_SCAN_MAX_KEYS,
  MAX_RETRIES_PER_REQUEST,
  type RedisClient,
  type RedisLogger,
  type CreateRedisOptions,
  type ScanKeysOptions,
} from './client.ts';
export { claimOnce, MAX_CLAIM_TTL_SECONDS, MAX_CLAIM_KEY_LENGTH } from './claim.ts';
export {
  withLock,
  acquireLock,
  releaseIfHeld,
  LockBusyError,
  MAX_LOCK_TTL_MS,
  DEFAULT_LOCK_RETRY_MS,
  type LockOptions,
} from './lock.ts';
export { switchableRedis, type SwitchableRedis } from './switchable.ts';
export { deleteMatching } from './delete-matching.ts';
export { serverRunId } from './server.ts';
export { scriptsRun, scriptSha, type ScriptRun } from './eval-by-hash.ts';
export { evalEach } from './eval-each.ts';
export { keySlot, CLUSTER_SLOTS } from './key-slot.ts';
