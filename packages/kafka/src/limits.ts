/** Every limit the package enforces, in one place (see docs/conventions.md: every limit is explicit). */
export const LIMITS = {
  /** Messages in one publish call or one handler's outputs. */
  maxMessagesPerBatch: 1000,
  /**
   * Encoded value size. The broker's default message.max.bytes is 1 MiB including headers and framing; this leaves
   * room for the dead-letter headers, so anything that was accepted can always be dead-lettered.
   */
  maxValueBytes: 1_000_000,
  maxKeyBytes: 256,
  /** Caller-supplied headers per message. */
  maxHeaders: 16,
  maxHeaderNameLength: 64,
  maxHeaderValueBytes: 1024,
  /** Longest `dlq-detail` header value and most zod issues summarised in it. */
  maxDetailLength: 1024,
  maxIssuesInDetail: 10,
  /** Dead letters one `deadLetters()` call lists, per topic. */
  maxDeadLettersListed: 1000,
  /**
   * Inputs of one fetched batch that a stage commits in one transaction, or a projector in one offset commit; a
   * larger batch is committed in several. One fetch brings at most kafkajs's maxBytesPerPartition (1 MiB) of a
   * partition, so this binds only for small records; it bounds what a crash makes the next owner handle again.
   */
  maxInputsPerCommit: 500,
  /**
   * Output bytes (keys, values, headers and record framing) of one stage transaction, and of one produce request in
   * it. The broker refuses a partition's record batch over message.max.bytes (1 MiB by default) and kafkajs sends one
   * record batch per partition per request, so a fetched batch whose outputs are more than this is committed in
   * several transactions; one input's outputs alone may be more, and are then sent in several requests of its one
   * transaction.
   */
  maxTransactionBytes: 900 * 1024,
} as const;

/** Defaults for timings; each can be overridden where it is used. */
export const DEFAULTS = {
  /** Handler retries before dead-lettering: total attempts, first try included. */
  retry: { attempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 },
  /**
   * Retries of a whole transaction after a transient Kafka error (CONCURRENT_TRANSACTIONS, coordinator moves,
   * timeouts); after these the consumer is crashed and restarted by kafkajs, nothing is committed or dead-lettered.
   */
  transactionRetry: { attempts: 8, initialDelayMs: 100, maxDelayMs: 5_000 },
  /** Backoff between restarts of a consumer after a crash kafkajs does not restart from (crash-restart.ts). */
  crashRestart: { initialDelayMs: 500, maxDelayMs: 30_000 },
  /**
   * How long a dead instance's partitions wait before the group hands them to the living (a SIGKILLed hub's
   * successor waits this long too): Kafka's 45 s is long for notifications; under 10 s risks expiring members that
   * are only busy. Handlers heartbeat while they back off.
   */
  sessionTimeoutMs: 15_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 3_000,
  /**
   * Fetches (issue 10, "fewer round trips"): the broker answers a fetch once `minBytes` are ready for it or
   * `maxWaitTimeMs` has passed. Still kafkajs's 1 byte and a 1 s long-poll: the candidates (projectors 32 KiB or 20 ms, stages 8 KiB or 8 ms) made
   * no measurable difference to the burst drain on a machine shared at load 7-19, while 21 idle groups polling every
   * 20 ms cost 7.5% of a core against 3.3% at 1 s (README "Fetches"). Change them here once measured on a
   * quiet machine. `maxWaitTimeMs` also bounds how long close() waits for an idle consumer's fetch.
   */
  fetch: { minBytes: 1, maxWaitTimeMs: 1_000 },
  transactionTimeoutMs: 60_000,
  /**
   * For `transaction()`, whose work is one request's: short, so a crashed instance's open transaction holds up
   * read_committed readers of its partitions for at most this long when the instance does not come back.
   */
  requestTransactionTimeoutMs: 15_000,
  transactionPoolSize: 4,
  pingTimeoutMs: 5_000,
  leaderWaitTimeoutMs: 30_000,
} as const;
