/**
 * @hub/kafka: the only package that imports kafkajs. Services publish and consume through typed, contract-checked
 * functions bound to the TopicSpecs in @hub/contracts. See README.md.
 */
export { createKafkaClient, type KafkaClient, type KafkaClientOptions } from './client.ts';
export { InsufficientBrokersError, type GroupLag } from './admin.ts';
export {
  KafkaSecurityError,
  kafkaSecurityOf,
  type KafkaSasl,
  type KafkaSecurity,
  type KafkaSecurityConfig,
  type KafkaTls,
} from './connection.ts';
export { GroupActiveError } from './group-offsets.ts';
export {
  output,
  type BatchReport,
  type ConsumeOptions,
  type ConsumerTuning,
  type InboundMessage,
  type OutboundMessage,
  type Output,
  type ProvisionReport,
  type Subscription,
  type TransactionScope,
  type PublishedOffsets,
  type TransactionalOptions,
} from './types.ts';
export { ContractViolationError } from './outbound.ts';
export type { IssueSummary } from './codec.ts';
export { OUTAGE_TOLERANT_RETRY, type RetryPolicy } from './retry.ts';
export { NotYetError } from './handler-retry.ts';
export { DLQ_HEADERS, DLQ_REASONS, type DeadLetterReason } from './dead-letter.ts';
export { RedriveRefusedError, type DeadLetterEntry } from './dead-letter-tools.ts';
export { HEADERS, CONTENT_TYPE_JSON } from './headers.ts';
export { DEFAULTS, LIMITS } from './limits.ts';
export {
  bindBatchProjector,
  bindProjector,
  bindStage,
  requestPublish,
  requestTransaction,
  startStep,
  UndeclaredOutputError,
  type ProjectorBinding,
  type StageBinding,
  type StartStepOptions,
  type StepBinding,
} from './steps.ts';
