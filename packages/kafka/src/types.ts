import type { MessageOf, TopicSpec } from '@hub/contracts';
import type { RetryPolicy } from './retry.ts';

/** A message to publish on `T`; the value is checked against T's contract before anything is sent. */
export interface OutboundMessage<T extends TopicSpec> {
  /** Partitioning key (ordering is per key). Not personal data: it is logged nowhere, but it is visible to operators. */
  readonly key: string;
  readonly value: MessageOf<T>;
  /** Extra headers; `traceparent`, `content-type`, `schema` and `dlq-*` are ours and may not be set. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A message as a handler sees it: decoded, validated against the contract, with its coordinates. */
export interface InboundMessage<T extends TopicSpec> {
  readonly key: string | null;
  readonly value: MessageOf<T>;
  readonly headers: Readonly<Record<string, string>>;
  /** Logical topic name (no namespace), i.e. `T['name']`. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface ConsumerTuning {
  /**
   * Where a group with no committed offset starts: true (default) reads the whole retained topic, so nothing
   * published before the group's first start is missed; false starts at the end. Ignored once the group has offsets.
   */
  readonly fromBeginning?: boolean;
  /** Default 15 s. The broker bounds it (group.min/max.session.timeout.ms). A handler must finish within it. */
  readonly sessionTimeoutMs?: number;
  /** Default 60 s. */
  readonly rebalanceTimeoutMs?: number;
  /** Default 3 s; must be well under sessionTimeoutMs. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Fetch: the broker answers once `minBytes` are ready or after `maxWaitTimeMs`; the default pair is the consumer
   * kind's (`DEFAULTS.fetch`, now 1 byte or 1 s for both). `maxWaitTimeMs` also bounds how long stopping an idle
   * consumer takes. Setting `maxWaitTimeMs` alone makes `minBytes` 1 (answer at the first record).
   */
  readonly maxWaitTimeMs?: number;
  readonly minBytes?: number;
}

export interface ConsumeOptions<T extends TopicSpec> extends ConsumerTuning {
  /** Logical consumer group id; the client's namespace is prefixed. A new group starts at the earliest offset. */
  readonly groupId: string;
  /** Must be idempotent: delivery is at-least-once (a fetched batch's offset is committed once it is handled). */
  readonly handle: (message: InboundMessage<T>) => Promise<void>;
  /**
   * Optional: a fetched batch's records of one partition at once (at most LIMITS.maxInputsPerCommit, in order), e.g.
   * for one database transaction per batch; must be idempotent like `handle`. Its records are committed together. A
   * batch it fails (other than NotYetError, which waits) is handled again record by record with `handle`, so a poison
   * record is retried and dead-lettered alone.
   */
  readonly handleBatch?: (messages: readonly InboundMessage<T>[]) => Promise<void>;
  /** Handler retries before dead-lettering. Default 5 attempts, 200 ms doubling to 10 s. */
  readonly retry?: RetryPolicy;
  /**
   * A replay of records already handled once (a view's rebuild): a record that cannot be read or handled is logged
   * and skipped, never dead-lettered again (its first handling did that).
   */
  readonly replay?: boolean;
}

/** One message a transactional handler wants written; build it with `output()` for type checking. */
export interface Output<T extends TopicSpec = TopicSpec> {
  readonly topic: T;
  readonly key: string;
  readonly value: MessageOf<T>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TransactionalOptions<T extends TopicSpec> extends ConsumerTuning {
  readonly groupId: string;
  /**
   * Logical transactional id prefix (namespace prefixed); input partition n gets `<prefix>.p<n>`. The same for every
   * instance of the processor: whichever instance is assigned a partition fences its previous owner.
   */
  readonly transactionalId: string;
  /**
   * Computes the outputs for one input; a fetched batch's inputs are handled in order and committed together. Runs
   * again when its batch's transaction is aborted or the batch is handled again after a crash, so it must be a pure
   * function of its input, plus writes elsewhere that are idempotent and keyed by the input's offset (the outputs are
   * written exactly once, with the batch's offset).
   */
  readonly handle: StageHandler<T>;
  /**
   * Optional: called with a round's readable inputs (a fetched batch's next inputs of one partition, in order, at
   * most LIMITS.maxInputsPerCommit) before any of them is handled; answers the handler for that round's inputs, e.g.
   * one reading what this call loaded in one round trip instead of a round trip per input. It is called again for
   * every round (a round handled again after an abort, or the inputs after one that failed, start afresh). The round
   * handler is held to what `handle` is (pure, idempotent writes) and must answer what `handle` would, for each
   * input in order, including what earlier inputs of the same round wrote: an input it fails is retried (with it)
   * and dead-lettered alone, as with `handle`. If this call fails, the round's inputs are handled with `handle`.
   */
  readonly prepareRound?: (messages: readonly InboundMessage<T>[]) => Promise<StageHandler<T>>;
  readonly retry?: RetryPolicy;
  /** Default 60 s; the broker caps it at transaction.max.timeout.ms. */
  readonly transactionTimeoutMs?: number;
  /** Told of each transaction, committed or not (metrics). Must not throw: a throw is logged and ignored. */
  readonly onBatch?: (report: BatchReport) => void;
}

/** A stage's outputs for one input. */
export type StageHandler<T extends TopicSpec> = (message: InboundMessage<T>) => Promise<readonly Output[]>;

/** What one transaction of a stage did, for metrics: counts and time only, never a record. */
export interface BatchReport {
  /** Inputs in the transaction (dead-lettered ones included). */
  readonly inputs: number;
  /** Output records written (dead letters not counted). */
  readonly outputs: number;
  readonly deadLettered: number;
  /** The transaction was aborted: its inputs are handled again. */
  readonly failed: boolean;
  /** From opening the transaction to its commit (or abort). */
  readonly durationMs: number;
}

export interface Subscription {
  /** Physical (namespaced) consumer group id. */
  readonly groupId: string;
  /** Stops consuming after the in-flight message; idempotent. Pending retries are abandoned, uncommitted. */
  stop(): Promise<void>;
}

/** Where one publish put its messages: for each partition written, the offset of the first message there. */
export interface PublishedOffsets {
  readonly partition: number;
  readonly baseOffset: string;
}

/** What a transaction body can do: publish, atomically with everything else in the same transaction. */
export interface TransactionScope {
  /**
   * Answers the log positions taken (known before the commit; visible to read_committed readers only after it), so
   * a caller can order what it writes elsewhere the way the log orders it.
   */
  publish<T extends TopicSpec>(topic: T, messages: readonly OutboundMessage<T>[]): Promise<readonly PublishedOffsets[]>;
}

export interface ProvisionReport {
  /** Physical topic names. */
  readonly created: readonly string[];
  /** Existing topics whose retention.ms or cleanup.policy were changed to match the spec. */
  readonly altered: readonly string[];
  readonly unchanged: readonly string[];
}

/** Typed helper so a handler's outputs are checked against their topic's type at compile time too. */
export function output<T extends TopicSpec>(topic: T, message: OutboundMessage<T>): Output<T> {
  return message.headers === undefined
    ? { topic, key: message.key, value: message.value }
    : { topic, key: message.key, value: message.value, headers: message.headers };
}
