import { auditEvent, type AuditFields } from '@hub/audit';
import {
  auditEventsTopic,
  contentHash,
  contentId,
  type AuditAction,
  type MessageOf,
  type RequestStep,
  type TopicSpec,
} from '@hub/contracts';
import { requestPublish, requestTransaction, type KafkaClient } from '@hub/kafka';
import { LockBusyError, acquireLock, type RedisClient } from '@hub/redis';
import type { LatestVersion, VersionWrite } from './latest-version.ts';

/** Longer than any single submission takes; a crashed holder's lock expires by itself. */
export const RECORD_LOCK_TTL_MS = 15_000;

/**
 * The id of a record's version: derived from the owner (force, authority, organisation), the owner's record id,
 * the content and the version it follows, so the same submission on the same chain always gets the same id
 * (`rcpt_…`, `cpv_…`, `fgv_…`).
 */
export function versionIdOf(
  prefix: string,
  owner: string,
  recordId: string,
  hash: string,
  previousVersionId: string | null,
): string {
  return contentId(prefix, owner, recordId, hash, previousVersionId ?? '');
}

/** A record kind's latest-version view, as the intake uses it. */
export interface VersionView<Recorded, Latest extends LatestVersion> {
  /**
   * The record's latest version, undefined when none is recorded. The intake calls it right after sending the lock's
   * SET, without waiting for its answer: it must read on the intake's Redis client (`deps.redis`), whose one
   * connection runs commands in the order sent, so the read runs once the lock is taken.
   */
  latest(owner: string, recordId: string): Promise<Latest | undefined>;
  /**
   * Applies one record of the topic (its `offset` there, undefined if unknown) to the view: a compare-and-set on
   * the version it follows (`applyVersion`), made from the record alone. The intake calls it after its commit; a
   * projector of the topic calls the same for every record, so the view is the topic's.
   */
  apply(record: Recorded, offset: string | undefined): Promise<VersionWrite>;
}

/** One kind of versioned record: where its versions go, how they are named, locked and viewed. */
export interface VersionedRecordKind<T extends TopicSpec, Latest extends LatestVersion> {
  /**
   * The request step whose writes these are (`STEPS`): its service is the audit events' `service`, and it must
   * declare the record topic and `audit.events.v1` as outputs (`@hub/kafka` refuses any other write).
   */
  readonly step: RequestStep;
  /** The prefix of its version ids, e.g. `rcpt`. */
  readonly idPrefix: string;
  /** The record topic: one record per version. */
  readonly topic: T;
  /** The record's Kafka key (ordering is per key). */
  keyOf(record: MessageOf<T>): string;
  /** The record's short lock (`acquireLock`); a request that finds it held gets 409 `conflict` with `busyDetail`. */
  lockKey(owner: string, recordId: string): string;
  readonly busyDetail: string;
  readonly view: VersionView<MessageOf<T>, Latest>;
}

export interface VersionedIntakeDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  /**
   * The step's transactional id (`kind.step.transactionalId` in a hub; tests give each intake its own), used by
   * nothing else; its transactions are pooled by the Kafka client.
   */
  readonly transactionalId: string;
}

/** An audit event to write: its action and fields (the service, time and id are the intake's). */
export interface AuditOf {
  readonly action: AuditAction;
  readonly fields: AuditFields;
}

/** What the new version is, before its record exists. */
export interface VersionIds {
  readonly versionId: string;
  /** The latest version's id, null for a first version. */
  readonly previousVersionId: string | null;
  readonly contentHash: string;
}

/** Something a rule took for the new version (a place in a set) and gives back if the version is not recorded. */
export interface Admission {
  release(): Promise<void>;
}

/**
 * One submission and its kind's rules, each seeing the latest version. The mechanism is fixed: the lock, the latest
 * version, `unchanged` for the same content, the version id, one transaction for the record and its audit event,
 * then the view. The rules are the domain's, in this order:
 */
export interface VersionSubmission<T extends TopicSpec, Latest extends LatestVersion> {
  readonly owner: string;
  readonly recordId: string;
  /** Hashed with `contentHash`; the same content as the latest version's is `unchanged`. */
  readonly content: unknown;
  /** When it was received: the time of its audit events. */
  readonly at: Date;
  /**
   * 1. Refusals that come before `unchanged` (a field that may never change: 409; a record the caller may not
   *    address: audit its denial, then 404). Throw to refuse; nothing has been written.
   */
  readonly inspect?: (latest: Latest | undefined) => Promise<void> | void;
  /** 2. The audit event of an unchanged resend, published alone and keyed by the latest version's id. */
  readonly unchanged: (latest: Latest) => AuditOf;
  /**
   * 3. Refusals of a new version (eligibility: write and throw the refusal; full sets: throw) and what it takes
   *    meanwhile (a reserved place), given back if the version is not recorded after all.
   */
  readonly admit?: (latest: Latest | undefined, ids: VersionIds) => Promise<Admission | undefined>;
  /** 4. The new version's record and its audit event (keyed by the version id). */
  readonly version: (ids: VersionIds, latest: Latest | undefined) => { record: MessageOf<T>; audit: AuditOf };
}

export type VersionOutcome<T extends TopicSpec, Latest extends LatestVersion> =
  | { readonly outcome: 'unchanged'; readonly latest: Latest }
  | {
      readonly outcome: 'recorded';
      readonly ids: VersionIds;
      readonly record: MessageOf<T>;
      /** What the view write answered (`held` when a projector had applied it first). */
      readonly write: VersionWrite;
    };

/**
 * The versioned-record intake, written once for every kind (police incidents, child protection plans, FGM
 * indicators). Under the record's lock: read the latest version from the view; the kind's early refusals; the same
 * content is `unchanged` (its audit event alone, nothing recorded); otherwise the kind's admission rules, the version
 * id derived from content (`versionIdOf`), the record and its audit event in one Kafka transaction, then the view
 * (`kind.view.apply`, the projector's own write). A failure before the commit gives back what admission took and
 * leaves nothing: the aborted transaction is invisible to read_committed readers, the view is not touched. A crash
 * between the commit and the view write is harmless: a projector applies the record, and until it has, a retry
 * derives the same version id (downstream ids derive from it, so nothing doubles).
 */
export function createVersionedIntake<T extends TopicSpec, Latest extends LatestVersion>(
  deps: VersionedIntakeDeps,
  kind: VersionedRecordKind<T, Latest>,
) {
  for (const topic of [kind.topic, auditEventsTopic]) {
    if (!kind.step.outputs.some((output) => output.name === topic.name)) {
      throw new TypeError(`step of ${kind.step.service} does not declare ${topic.name}, which its records need`);
    }
  }
  const step: RequestStep = { ...kind.step, transactionalId: deps.transactionalId };
  const service = step.service;

  async function submit(submission: VersionSubmission<T, Latest>): Promise<VersionOutcome<T, Latest>> {
    const { owner, recordId, at } = submission;
    const hash = contentHash(submission.content);
    const { release, latest } = await lockAndRead(owner, recordId);
    try {
      await submission.inspect?.(latest);
      if (latest?.contentHash === hash) {
        const { action, fields } = submission.unchanged(latest);
        await requestPublish(deps.kafka, step, auditEventsTopic, [
          { key: latest.versionId, value: auditEvent(service, action, at, fields) },
        ]);
        return { outcome: 'unchanged', latest };
      }

      const previousVersionId = latest?.versionId ?? null;
      const ids: VersionIds = {
        versionId: versionIdOf(kind.idPrefix, owner, recordId, hash, previousVersionId),
        previousVersionId,
        contentHash: hash,
      };
      const admission = await submission.admit?.(latest, ids);
      let record: MessageOf<T>;
      let offset: string | undefined;
      try {
        const built = submission.version(ids, latest);
        record = built.record;
        const audit = auditEvent(service, built.audit.action, at, built.audit.fields);
        // Both publishes made at once go to the broker in one produce request (@hub/kafka shares a transaction's
        // simultaneous sends): one add-partitions and one produce instead of two of each. Their order across the two
        // topics was never a guarantee: read_committed readers see both or neither.
        await requestTransaction(deps.kafka, step, async (tx) => {
          const [written] = await Promise.all([
            tx.publish(kind.topic, [{ key: kind.keyOf(record), value: record }]),
            tx.publish(auditEventsTopic, [{ key: ids.versionId, value: audit }]),
          ]);
          offset = written[0]?.baseOffset;
        });
      } catch (error) {
        // Best effort: the failure is what the caller must hear; a place left reserved is skipped by readers.
        await admission?.release().catch(() => undefined);
        throw error;
      }
      const write = await kind.view.apply(record, offset);
      return { outcome: 'recorded', ids, record, write };
    } finally {
      // Best effort, as `withLock`: the outcome is decided; a lock left behind expires by itself.
      await release().catch(() => undefined);
    }
  }

  /**
   * The record's lock (SET NX PX, no wait) and its latest version in one round trip: the read is sent right after the
   * lock's SET on the same client, so Redis runs it once the lock is ours, after every write of the holder before us
   * (each holder writes the view before it releases). When the lock is held elsewhere the read is dropped: 409.
   */
  async function lockAndRead(owner: string, recordId: string) {
    const acquiring = acquireLock(deps.redis, kind.lockKey(owner, recordId), RECORD_LOCK_TTL_MS);
    // Called at once (an async body runs up to its first await), so the read is sent now; a throw is a rejection.
    const reading = (async () => kind.view.latest(owner, recordId))();
    // Not read when the lock is busy (or its SET failed): its outcome must not become an unhandled rejection.
    reading.catch(() => undefined);
    const release = await acquiring;
    if (release === undefined) throw new LockBusyError(kind.busyDetail);
    try {
      return { release, latest: await reading };
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
  }

  return { submit };
}

export type VersionedIntake<T extends TopicSpec, Latest extends LatestVersion> = ReturnType<
  typeof createVersionedIntake<T, Latest>
>;
