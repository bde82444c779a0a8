import type { LabelName } from './labels.ts';

/** One metric: its Prometheus name and help, and the only labels it carries (each from labels.ts's allow-lists). */
export interface MetricSpec {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly LabelName[];
  readonly buckets?: readonly number[];
}

/** Seconds, from a fast cached read to the handler timeout (10 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric of a hub process, declared once. Series are created as they are first set, so a process shows only
 * what it serves (a service run alone has its own routes, groups and views).
 */
export const METRICS = {
  httpRequestDuration: {
    kind: 'histogram',
    name: 'hub_http_request_duration_seconds',
    help: 'HTTP requests by route template (never the URL), method and status code, and how long each took to answer. _count is the number of requests.',
    labels: ['route', 'method', 'status'],
    buckets: LATENCY_BUCKETS,
  },
  consumerLag: {
    kind: 'gauge',
    name: 'hub_kafka_consumer_lag',
    help: "Records (and transaction markers) between a consumer group's committed offset and the end of a partition, as of the last poll. A caught-up group may stand 1 behind per partition (the last transaction's marker).",
    labels: ['group', 'topic', 'partition'],
  },
  consumerCommittedOffset: {
    kind: 'gauge',
    name: 'hub_kafka_consumer_committed_offset',
    help: "A consumer group's committed offset per partition, as of the last poll (absent before its first commit): a partition with lag whose offset does not move is a stalled step.",
    labels: ['group', 'topic', 'partition'],
  },
  deadLetterRecords: {
    kind: 'gauge',
    name: 'hub_dead_letter_records',
    help: 'Offsets <topic>.dlq holds (dead letters and their transaction markers), polled with the lag: 0 exactly when it is empty; ./hub dlq lists them. Every instance reports the same: take max.',
    labels: ['topic'],
  },
  viewState: {
    kind: 'gauge',
    name: 'hub_view_state',
    help: '1 for the state each view is in on this instance (ready, rebuilding: its routes answer 503 and its steps wait; unchecked: Redis or Kafka has not answered yet), 0 for the others.',
    labels: ['view', 'state'],
  },
  viewBuildEventsRead: {
    kind: 'gauge',
    name: 'hub_view_build_events_read',
    help: 'Events a build of the view running on this instance has read since it started here (absent when none runs here).',
    labels: ['view'],
  },
  viewBuildEventsRemaining: {
    kind: 'gauge',
    name: 'hub_view_build_events_remaining',
    help: 'Events a build of the view running on this instance has still to read (absent when none runs here).',
    labels: ['view'],
  },
  stageInputs: {
    kind: 'counter',
    name: 'hub_stage_inputs_total',
    help: "Inputs a stage committed (dead-lettered ones included), by the stage's consumer group.",
    labels: ['group'],
  },
  stageOutputs: {
    kind: 'counter',
    name: 'hub_stage_outputs_total',
    help: 'Output records a stage committed (dead letters not counted).',
    labels: ['group'],
  },
  stageDeadLetters: {
    kind: 'counter',
    name: 'hub_stage_dead_letters_total',
    help: 'Inputs a stage committed as their dead letter (<topic>.dlq; ./hub dlq lists them).',
    labels: ['group'],
  },
  stageFailedTransactions: {
    kind: 'counter',
    name: 'hub_stage_failed_transactions_total',
    help: "A stage's transactions aborted (Kafka unwell, fenced, or a record it could not write): their inputs are handled again.",
    labels: ['group'],
  },
  stageBatchSize: {
    kind: 'histogram',
    name: 'hub_stage_batch_size',
    help: "Inputs per transaction of a stage (a fetched batch's inputs, split by the kafka package's limits).",
    labels: ['group'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  },
  stageTransactionDuration: {
    kind: 'histogram',
    name: 'hub_stage_transaction_duration_seconds',
    help: "A stage's transactions, from opening to commit or abort.",
    labels: ['group'],
    buckets: LATENCY_BUCKETS,
  },
  notifications: {
    kind: 'gauge',
    name: 'hub_notifications',
    help: 'Notifications whose delivery deadline went by unmet, across the deployment (the deadlines view): overdue (recorded), escalated (an escalation notice open), not-delivered (the final deadline passed; the sender was sent a non-delivery report). Every instance reports the same count: take max, not sum.',
    labels: ['notification_state'],
  },
  auditLogLeaves: {
    kind: 'gauge',
    name: 'hub_audit_log_leaves',
    help: 'Audit events in the verifiable audit log (its Merkle tree size), across the deployment. Every instance reports the same: take max.',
    labels: [],
  },
  auditLogCheckpointLeaves: {
    kind: 'gauge',
    name: 'hub_audit_log_checkpoint_leaves',
    help: 'The tree size the latest signed checkpoint commits to; below hub_audit_log_leaves while a checkpoint is due.',
    labels: [],
  },
  auditLogCheckpointAge: {
    kind: 'gauge',
    name: 'hub_audit_log_checkpoint_age_seconds',
    help: 'Seconds since the latest checkpoint was signed, as of the scrape (absent before the first). A log that does not grow is not checkpointed again: compare the two sizes.',
    labels: [],
  },
  auditLogCheckpointMismatches: {
    kind: 'gauge',
    name: 'hub_audit_log_checkpoint_mismatches',
    help: "Stored checkpoints whose root is not the tree's root at their size: 0 unless the audit log was rewritten.",
    labels: [],
  },
  scrapeReadingFailures: {
    kind: 'counter',
    name: 'hub_metrics_reading_failures_total',
    help: "Scrapes at which a service's readings (deadline counts, audit log) failed or took over a second; their series keep the last values read.",
    labels: [],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;
