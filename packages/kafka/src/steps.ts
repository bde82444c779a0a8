import type { ProjectorStep, RequestStep, StageStep, Step, TopicSpec } from '@hub/contracts';
import type { KafkaClient } from './client.ts';
import type { RetryPolicy } from './retry.ts';
import type {
  ConsumerTuning,
  InboundMessage,
  OutboundMessage,
  Output,
  PublishedOffsets,
  StageHandler,
  Subscription,
  TransactionalOptions,
  TransactionScope,
} from './types.ts';

/**
 * Handlers bound to the steps declared in `@hub/contracts` (`STEPS`): the step names the topic, consumer group,
 * transactional id and the topics it may write, so a service supplies only its handler, and an output the step does
 * not declare is refused (a bug: the handler fails, is retried and dead-lettered, nothing is written).
 */

export interface StageBinding<S extends StageStep = StageStep> {
  readonly step: S;
  /** Outputs for one input; see TransactionalOptions.handle. (Method syntax: bindings of any topic share one list.) */
  handle(message: InboundMessage<S['input']>): Promise<readonly Output[]>;
  /**
   * Optional: the handler for a round's inputs, after loading what they read at once; see
   * TransactionalOptions.prepareRound. A replay (`startStep` with `replay`) uses `replayBatch`, else `handle`.
   */
  prepareRound?(messages: readonly InboundMessage<S['input']>[]): Promise<StageHandler<S['input']>>;
  /**
   * Optional: what a replay (a view's rebuild, `startStep` with `replay`) does with a fetched batch of one partition
   * (in order, `LIMITS.maxInputsPerCommit` at most): the view writes `handle` would make for each input, at once,
   * with no outputs (a replay discards them). It must leave the view as `handle` of each input in order would, and
   * be idempotent. A batch it fails is replayed input by input with `handle`, as a batch projector's is. Without
   * it a replay runs `handle` input by input.
   */
  replayBatch?(messages: readonly InboundMessage<S['input']>[]): Promise<void>;
  readonly retry?: RetryPolicy;
  readonly tuning?: ConsumerTuning;
}

export interface ProjectorBinding<S extends ProjectorStep = ProjectorStep> {
  readonly step: S;
  /** Applies one record to the view; must be idempotent (at-least-once). */
  handle(message: InboundMessage<S['input']>): Promise<void>;
  /** Applies a fetched batch of one partition at once (`bindBatchProjector`; ConsumeOptions.handleBatch). */
  handleBatch?(messages: readonly InboundMessage<S['input']>[]): Promise<void>;
  readonly retry?: RetryPolicy;
  readonly tuning?: ConsumerTuning;
}

export type StepBinding = StageBinding | ProjectorBinding;

export function bindStage<S extends StageStep>(step: S, options: Omit<StageBinding<S>, 'step'>): StageBinding<S> {
  return { step, ...options };
}

export function bindProjector<S extends ProjectorStep>(
  step: S,
  options: Omit<ProjectorBinding<S>, 'step'>,
): ProjectorBinding<S> {
  return { step, ...options };
}

/**
 * A projector that applies each fetched batch of a partition at once (one transaction of the view's store per batch):
 * `handleBatch` gets the records in order; a record alone (the fallback after a failed batch) is a batch of one.
 */
export function bindBatchProjector<S extends ProjectorStep>(
  step: S,
  options: Omit<ProjectorBinding<S>, 'step' | 'handle' | 'handleBatch'> & {
    handleBatch(messages: readonly InboundMessage<S['input']>[]): Promise<void>;
  },
): ProjectorBinding<S> {
  const { retry, tuning } = options;
  const handleBatch = (messages: readonly InboundMessage<S['input']>[]) => options.handleBatch(messages);
  return {
    step,
    ...(retry === undefined ? {} : { retry }),
    ...(tuning === undefined ? {} : { tuning }),
    handleBatch,
    handle: (message) => handleBatch([message]),
  };
}

/** Thrown when a step writes a topic it does not declare: a bug, never retried into success. */
export class UndeclaredOutputError extends Error {
  override readonly name = 'UndeclaredOutputError';
}

function checkDeclared(step: Step & { readonly outputs: readonly TopicSpec[] }, topic: TopicSpec, name: string): void {
  if (!step.outputs.some((declared) => declared.name === topic.name)) {
    throw new UndeclaredOutputError(`step ${name} of ${step.service} does not declare ${topic.name} as an output`);
  }
}

export interface StartStepOptions {
  /** Another consumer group than the step's (a fresh group replays the topic from its start: rebuilds, tests). */
  readonly groupId?: string;
  /**
   * Replays the step into its view only (a view's rebuild, under its own group): a stage's outputs are computed and
   * discarded (the step's live run wrote them), and nothing is dead-lettered again.
   */
  readonly replay?: boolean;
  /** A live stage's transactions, as they commit or fail (metrics); see TransactionalOptions.onBatch. */
  readonly onBatch?: TransactionalOptions<TopicSpec>['onBatch'];
}

/** Starts a bound stage or projector on its step's topic, group and transactional id. */
export function startStep(
  kafka: KafkaClient,
  binding: StepBinding,
  options: StartStepOptions = {},
): Promise<Subscription> {
  const { step } = binding;
  const groupId = options.groupId ?? step.groupId;
  const tuning = binding.tuning ?? {};
  const retry = binding.retry === undefined ? {} : { retry: binding.retry };
  const replay = options.replay === true;
  if (step.kind === 'projector') {
    const projector = binding as ProjectorBinding;
    const batch = (messages: readonly InboundMessage<ProjectorStep['input']>[]) =>
      projector.handleBatch?.(messages) ?? Promise.resolve();
    return kafka.consume(step.input, {
      ...tuning,
      ...retry,
      groupId,
      replay,
      handle: (message) => projector.handle(message),
      ...(projector.handleBatch === undefined ? {} : { handleBatch: batch }),
    });
  }
  const stage = binding as StageBinding;
  if (replay) {
    const replayBatch = stage.replayBatch?.bind(stage);
    return kafka.consume(step.input, {
      ...tuning,
      ...retry,
      groupId,
      replay,
      handle: async (message) => {
        await stage.handle(message);
      },
      ...(replayBatch === undefined ? {} : { handleBatch: replayBatch }),
    });
  }
  return kafka.processTransactionally(step.input, {
    ...tuning,
    ...retry,
    groupId,
    transactionalId: step.transactionalId,
    ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    handle: declaredOnly(step, (message) => stage.handle(message)),
    ...(stage.prepareRound === undefined
      ? {}
      : {
          prepareRound: async (messages: readonly InboundMessage<StageStep['input']>[]) =>
            declaredOnly(step, (await stage.prepareRound?.(messages)) ?? ((message) => stage.handle(message))),
        }),
  });
}

/** A stage handler whose outputs are checked against the step's declared outputs (an undeclared one throws). */
function declaredOnly(step: StageStep, handle: StageHandler<StageStep['input']>): StageHandler<StageStep['input']> {
  return async (message) => {
    const outputs = await handle(message);
    for (const item of outputs) checkDeclared(step, item.topic, step.groupId);
    return outputs;
  };
}

/**
 * One request's writes in one transaction under the request step's transactional id; publishing a topic the step
 * does not declare throws before anything is sent, and the transaction aborts (its declared writes too). Async, so
 * every refusal is a rejection, never a synchronous throw.
 */
export async function requestTransaction<R>(
  kafka: KafkaClient,
  step: RequestStep,
  work: (tx: TransactionScope) => Promise<R>,
): Promise<R> {
  if (step.transactionalId === null) {
    throw new TypeError(`request step of ${step.service} has no transactional id: publish its outputs alone`);
  }
  const name = step.transactionalId;
  return kafka.transaction(name, (tx) =>
    work({
      publish<T extends TopicSpec>(
        topic: T,
        messages: readonly OutboundMessage<T>[],
      ): Promise<readonly PublishedOffsets[]> {
        checkDeclared(step, topic, name);
        return tx.publish(topic, messages);
      },
    }),
  );
}

/** A request step's lone publish (no transaction), with the same declared-output check (a rejection). */
export async function requestPublish<T extends TopicSpec>(
  kafka: KafkaClient,
  step: RequestStep,
  topic: T,
  messages: readonly OutboundMessage<T>[],
): Promise<void> {
  checkDeclared(step, topic, step.service);
  return kafka.publish(topic, messages);
}
