import { AsyncLocalStorage } from 'node:async_hooks';
import type { Producer, Transaction } from 'kafkajs';
import { currentTraceparent } from '@hub/tracing';
import { abortOrReset } from './abort-or-reset.ts';
import type { ClientCore } from './client.ts';
import type { LazyConnection } from './connection.ts';
import { prepareBatch } from './outbound.ts';
import { createSharedSender } from './shared-sends.ts';
import type { TransactionPool } from './transaction-pool.ts';
import type { PublishedOffsets, TransactionScope } from './types.ts';

export interface GroupCommitOptions {
  /** Longest the first request of a group waits for others to join it, in ms (a lone request's extra delay). */
  readonly gatherMs?: number;
  /** Most requests in one transaction; a full group starts at once. */
  readonly maxMembers?: number;
}

export const GROUP_COMMIT_DEFAULTS = { gatherMs: 5, maxMembers: 64 } as const;

interface Member {
  readonly work: (tx: TransactionScope) => Promise<unknown>;
  /** Runs a function in the caller's async context (trace id, log context), not the group's first member's. */
  readonly inCallerContext: <R>(fn: () => R) => R;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly kind: 'done'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: unknown }
  /** Stopped because a neighbour spoiled the transaction; runs again in the next one. */
  | { readonly kind: 'again' };

/** Thrown into a member's publish once the transaction will be aborted for a neighbour; never reaches a caller. */
class NeighbourFailed extends Error {
  override readonly name = 'NeighbourFailed';
}

/** Groups run outside any request's context: their own work is nobody's request. */
const outsideAnyRequest = AsyncLocalStorage.snapshot();

/**
 * Group commit for `KafkaClient.transaction(id, work)`: concurrent requests under one transactional id share one
 * Kafka transaction. The first request opens a group; others join it for `gatherMs` (and for as long as every
 * producer of the pool is busy), up to `maxMembers`. The group's transaction then runs every member's `work`
 * concurrently (each in its caller's context, its publishes sent into the shared transaction in its own order;
 * publishes made at the same time share a produce request, shared-sends.ts) and commits once all have finished; each
 * member's promise settles only after that commit.
 *
 * - A member whose work throws before anything of it was sent (a contract violation, an undeclared output, its own
 *   error) is rejected with that error alone; its neighbours commit.
 * - A member whose work throws after some of its records were sent cannot be taken out of the transaction (Kafka
 *   cannot un-send): the transaction is aborted, that member rejected with its error, and the others run their work
 *   again in a new transaction. Their first run's offsets died with the aborted transaction, so a rerun is the only
 *   way to answer offsets that are real; request work only computes and publishes, so running it again is harmless.
 * - A Kafka failure (a send, the commit, no producer) rejects every member with it; the transaction is aborted, so
 *   nothing of any member is visible to read_committed readers.
 */
export function createGroupCommit(core: ClientCore, pool: TransactionPool, options: GroupCommitOptions = {}) {
  const gatherMs = options.gatherMs ?? GROUP_COMMIT_DEFAULTS.gatherMs;
  const maxMembers = options.maxMembers ?? GROUP_COMMIT_DEFAULTS.maxMembers;
  if (!Number.isSafeInteger(gatherMs) || gatherMs < 0) throw new RangeError('gatherMs must be a whole number ≥ 0');
  if (!Number.isSafeInteger(maxMembers) || maxMembers < 1) throw new RangeError('maxMembers must be at least 1');

  interface Group {
    readonly members: Member[];
    /** Stops further members joining and lets the group start as soon as it has a producer. */
    seal(): void;
  }
  let gathering: Group | undefined;
  const running = new Set<Promise<void>>();
  let closed = false;

  function openGroup(): Group {
    const members: Member[] = [];
    let windowOver!: () => void;
    const window = new Promise<void>((resolve) => {
      windowOver = resolve;
    });
    const timer = setTimeout(windowOver, gatherMs);
    const group: Group = {
      members,
      seal() {
        clearTimeout(timer);
        if (gathering === group) gathering = undefined;
        windowOver();
      },
    };
    const job = outsideAnyRequest(() =>
      pool.withProducer(async (connection) => {
        // While every producer is busy the group keeps gathering: under load, groups grow instead of queueing.
        await window;
        group.seal();
        let pending = members;
        while (pending.length > 0) pending = await attempt(connection, pending);
      }),
    ).catch((error: unknown) => {
      // No producer at all (the pool closed): nobody's work ran.
      for (const member of members) member.reject(error);
    });
    running.add(job);
    void job.finally(() => running.delete(job));
    return group;
  }

  /** One transaction for `members`; answers those whose work must run again in the next one. */
  async function attempt(connection: LazyConnection<Producer>, members: readonly Member[]): Promise<Member[]> {
    let transaction: Transaction;
    try {
      transaction = await (await connection.get()).transaction();
    } catch (error) {
      await abortOrReset(undefined, connection, core.logger);
      for (const member of members) member.reject(error);
      return [];
    }
    // Shared by the members' publishes (mutated from their closures, hence an object).
    const state: { ended: boolean; spoiled: boolean; sendFailure?: { readonly error: unknown } } = {
      ended: false,
      spoiled: false,
    };
    // Members' publishes made at the same time go to the broker in one produce request. Once one request failed,
    // later ones are refused unsent: kafkajs rewound the failed one's sequence numbers, under which the broker may
    // take a later request for its duplicate (abort-or-reset.ts); the transaction is aborted anyway.
    let requestFailed: { readonly error: unknown } | undefined;
    const sender = createSharedSender(async (topicMessages) => {
      if (requestFailed !== undefined) throw requestFailed.error;
      try {
        return await transaction.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        requestFailed = { error };
        throw error;
      }
    });

    async function runMember(member: Member): Promise<Outcome> {
      const mine = { sent: false, stopped: false };
      const scope: TransactionScope = {
        async publish(topic, messages): Promise<readonly PublishedOffsets[]> {
          if (state.ended) throw new Error('publish after the transaction ended');
          if (state.sendFailure !== undefined) throw state.sendFailure.error;
          if (state.spoiled) {
            mine.stopped = true;
            throw new NeighbourFailed('a neighbour spoiled the transaction; this work runs again');
          }
          const prepared = prepareBatch(topic, messages, currentTraceparent());
          if (prepared.length === 0) return [];
          mine.sent = true;
          try {
            return await sender.send(core.names.topic(topic.name), prepared);
          } catch (error) {
            state.sendFailure ??= { error };
            throw error;
          }
        },
      };
      try {
        return { kind: 'done', value: await member.inCallerContext(() => member.work(scope)) };
      } catch (error) {
        if (mine.stopped) return { kind: 'again' };
        if (mine.sent && state.sendFailure === undefined) state.spoiled = true;
        return { kind: 'failed', error };
      }
    }

    const outcomes = await Promise.all(members.map(async (member) => ({ member, outcome: await runMember(member) })));
    state.ended = true;
    // A publish its work did not wait for is still sent (and can fail the transaction) before the commit.
    await sender.idle();

    const again: Member[] = [];
    const done: { member: Member; value: unknown }[] = [];
    for (const { member, outcome } of outcomes) {
      if (outcome.kind === 'failed') member.reject(outcome.error);
      else if (outcome.kind === 'again') again.push(member);
      else done.push({ member, value: outcome.value });
    }
    const unfinished = [...again, ...done.map((entry) => entry.member)];

    const { sendFailure } = state;
    if (sendFailure !== undefined) {
      await abortOrReset(transaction, connection, core.logger, true);
      for (const member of unfinished) member.reject(sendFailure.error);
      return [];
    }
    if (state.spoiled || done.length === 0) {
      await abortOrReset(transaction, connection, core.logger);
      return unfinished;
    }
    try {
      await transaction.commit();
    } catch (error) {
      await abortOrReset(transaction, connection, core.logger);
      for (const { member } of done) member.reject(error);
      return [];
    }
    for (const { member, value } of done) member.resolve(value);
    return [];
  }

  return {
    /** `work` in the current group's transaction; settles once that transaction has committed (or failed). */
    run<R>(work: (tx: TransactionScope) => Promise<R>): Promise<R> {
      if (closed) return Promise.reject(new Error('the transaction pool is closed'));
      return new Promise<R>((resolve, reject) => {
        const group = gathering ?? (gathering = openGroup());
        group.members.push({
          work,
          inCallerContext: AsyncLocalStorage.snapshot(),
          resolve: resolve as (value: unknown) => void,
          reject,
        });
        if (group.members.length >= maxMembers) group.seal();
      });
    },
    /** Refuses new requests, starts the gathering group at once, waits for every group, then closes the pool. */
    async close(): Promise<void> {
      closed = true;
      gathering?.seal();
      await Promise.allSettled([...running]);
      await pool.close();
    },
  };
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;
