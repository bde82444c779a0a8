/**
 * Sorting kafkajs errors into what to do about them, by duck typing (kafkajs's error classes are not named ESM
 * exports, and errors are plain data here anyway).
 */
export const KAFKA_ERROR_KINDS = ['fenced', 'transient', 'permanent'] as const;
export type KafkaErrorKind = (typeof KAFKA_ERROR_KINDS)[number];

/** Another producer with our transactional id took over (the input partition moved): never retry with this one. */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/**
 * Worth retrying the whole transaction. CONCURRENT_TRANSACTIONS is here because kafkajs does not retry it inside
 * sendOffsets (kafkajs issue 430): the previous transaction's markers are still being written.
 */
const TRANSIENT_TYPES = new Set([
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  // "This server does not host this topic-partition": a partition just created (or being loaded after a broker
  // restart) that its leader does not serve yet. Topics are provisioned before use, so this passes.
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NETWORK_EXCEPTION',
  'REBALANCE_IN_PROGRESS',
]);
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
}

/** The error and its causes, outermost first (bounded: causes can be cyclic). */
export function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

export function classifyKafkaError(error: unknown): KafkaErrorKind {
  const chain = errorChain(error);
  if (chain.some((e) => typeof e.type === 'string' && FENCED_TYPES.has(e.type))) return 'fenced';
  const root = chain.at(-1);
  if (root === undefined) return 'permanent';
  if (typeof root.type === 'string' && TRANSIENT_TYPES.has(root.type)) return 'transient';
  if (typeof root.name === 'string' && TRANSIENT_NAMES.has(root.name)) return 'transient';
  // kafkajs marks its own errors retriable unless the protocol says otherwise; anything else (a TypeError from our
  // code, an oversized record) will fail the same way again.
  const isKafkaJs = typeof root.name === 'string' && root.name.startsWith('KafkaJS');
  return isKafkaJs && root.retriable === true ? 'transient' : 'permanent';
}

/**
 * Whether a request-side publish or transaction failed for a Kafka reason (any kafkajs error in the chain), as
 * opposed to an error of the work itself (a contract violation, a HubError). For mapping to "Kafka unavailable";
 * the consume-transform-produce stages keep using classifyKafkaError for their retries.
 */
export function isKafkaFailure(error: unknown): boolean {
  return errorChain(error).some((link) => typeof link.name === 'string' && link.name.startsWith('KafkaJS'));
}
