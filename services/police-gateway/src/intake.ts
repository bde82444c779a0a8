import { randomUUID } from 'node:crypto';
import {
  STEPS,
  auditEventsTopic,
  daIncidentReceivedTopic,
  type Caller,
  type DaIncidentReceived,
  type DaIncidentSubmission,
} from '@hub/contracts';
import { actorOf, auditEvent, incidentRef } from '@hub/audit';
import type { KafkaClient } from '@hub/kafka';
import {
  applyVersion,
  createVersionedIntake,
  readLatestVersion,
  type LatestVersion,
  type VersionView,
  type VersionedRecordKind,
  type VersionWrite,
} from '@hub/records';
import type { RedisClient } from '@hub/redis';

const SERVICE = 'police-gateway';

export interface IntakeDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly now: () => Date;
  /** Stable per gateway instance; its transactions are pooled by the Kafka client. */
  readonly transactionalId: string;
}

export interface IntakeResult {
  readonly receiptId: string;
  /** `accepted`: recorded (first version or amendment); `unchanged`: identical to the latest version, nothing changed. */
  readonly outcome: 'accepted' | 'unchanged';
  readonly amendsReceiptId: string | null;
}

/** What the gateway remembers about a receipt (a Redis view of the record on Kafka). No personal data. */
export interface ReceiptRecord {
  readonly receiptId: string;
  readonly force: string;
  readonly incidentId: string;
  readonly amendsReceiptId: string | null;
  readonly receivedAt: string;
}

/** An incident's latest version (its receipt id is the version id): what `unchanged` and amendments read. */
export interface IncidentVersion extends LatestVersion {
  readonly amendsReceiptId: string | null;
}

const keys = {
  /** The incident's latest version (with `…:position`, where it sits in `da.incident-received.v1`). */
  latest: (force: string, incidentId: string) => `da:incident:${force}:${incidentId}`,
  lock: (force: string, incidentId: string) => `da:incident:${force}:${incidentId}:lock`,
  receipt: (receiptId: string) => `da:receipt:${receiptId}`,
};

export type IncidentView = VersionView<DaIncidentReceived, IncidentVersion> & {
  receipt(receiptId: string): Promise<ReceiptRecord | undefined>;
};

/**
 * The gateway's views of `da.incident-received.v1`: each incident's latest version and each receipt. Both are made
 * from the records alone, so applying every record of the topic (in its order, any number of times, interleaved with
 * the intake's own writes) builds the same views: the receipt is written as it is, and the latest version is the
 * `@hub/records` compare-and-set on the version chain. The intake applies its record after its commit; a projector
 * of the topic applies the same records with the same `apply`.
 */
export function createIncidentView(redis: RedisClient): IncidentView {
  return {
    latest: (force, incidentId) => readLatestVersion<IncidentVersion>(redis, keys.latest(force, incidentId)),
    async receipt(receiptId) {
      const raw = await redis.get(keys.receipt(receiptId));
      return raw === null ? undefined : (JSON.parse(raw) as ReceiptRecord);
    },
    async apply(record, offset): Promise<VersionWrite> {
      const { receiptId, force, incidentId, amendsReceiptId, receivedAt, contentHash } = record;
      // Every version is a receipt its force can read, whatever the latest version is: written first, so the latest
      // version never names a receipt that is not there. Both are sent at once, the receipt first, on the hub's one
      // Redis connection (README "Redis in production": one primary endpoint), which runs them in the order sent:
      // one round trip instead of two on every POST. Either failing fails the apply, as before.
      const receipt: ReceiptRecord = { receiptId, force, incidentId, amendsReceiptId, receivedAt };
      const receiptWritten = redis.set(keys.receipt(receiptId), JSON.stringify(receipt));
      const versionWritten = applyVersion(redis, {
        key: keys.latest(force, incidentId),
        latest: { versionId: receiptId, contentHash, amendsReceiptId } satisfies IncidentVersion,
        previousVersionId: amendsReceiptId,
        offset,
      });
      const [, write] = await Promise.all([receiptWritten, versionWritten]);
      return write;
    },
  };
}

/**
 * Incidents as versioned records (`@hub/records`): `rcpt_` version ids (the receipt ids), one
 * `da.incident-received.v1` record per version (key: `<force>:<incidentId>`), the incident lock.
 */
export function incidentRecordKind(
  view: IncidentView,
): VersionedRecordKind<typeof daIncidentReceivedTopic, IncidentVersion> {
  return {
    step: STEPS.incidentIntake,
    idPrefix: 'rcpt',
    topic: daIncidentReceivedTopic,
    keyOf: (record) => incidentRef(record.force, record.incidentId),
    lockKey: (force, incidentId) => keys.lock(force, incidentId),
    busyDetail: 'Another submission of this incident is being recorded; retry shortly.',
    view,
  };
}

/**
 * Accepts police submissions. The same submission always gets the same receipt (its id is derived from force,
 * incident id, content and the version it amends); an unchanged resend changes nothing; a changed one is an
 * amendment of the latest version. The versioned-record intake (`@hub/records`) does the locking, the `unchanged`
 * answer, the one Kafka transaction (received event and its audit event) and the view write after it; a crash in
 * between is harmless because a retry derives the same receipt id.
 */
export function createIncidentIntake(deps: IntakeDeps) {
  const view = createIncidentView(deps.redis);
  const versions = createVersionedIntake(deps, incidentRecordKind(view));

  async function submit(caller: Caller, submission: DaIncidentSubmission): Promise<IntakeResult> {
    const force = caller.organisation;
    const { incidentId } = submission;
    const at = deps.now();
    const ref = incidentRef(force, incidentId);
    const result = await versions.submit({
      owner: force,
      recordId: incidentId,
      content: submission,
      at,
      unchanged: (latest) => ({
        action: 'incident-unchanged',
        fields: { actor: actorOf(caller), receiptId: latest.versionId, incidentRef: ref },
      }),
      version: ({ versionId, previousVersionId, contentHash }) => ({
        record: {
          receiptId: versionId,
          force,
          incidentId,
          contentHash,
          amendsReceiptId: previousVersionId,
          receivedAt: at.toISOString(),
          submittedBy: caller.clientId,
          submission,
        },
        audit: {
          action: 'incident-received',
          fields: {
            actor: actorOf(caller),
            receiptId: versionId,
            incidentRef: ref,
            reason: previousVersionId === null ? 'first-version' : 'amendment',
          },
        },
      }),
    });
    return result.outcome === 'unchanged'
      ? { receiptId: result.latest.versionId, outcome: 'unchanged', amendsReceiptId: result.latest.amendsReceiptId }
      : { receiptId: result.ids.versionId, outcome: 'accepted', amendsReceiptId: result.ids.previousVersionId };
  }

  /**
   * The receipt, only for the force that submitted it. Another force gets the same answer as for a receipt that
   * does not exist (undefined: the route answers 404), and both are audited first (`access-denied`, reason
   * `receipt-of-another-force` or `receipt-not-found`), so neither the answer nor its failure (503 `not-ready` when
   * the audit cannot be written: Kafka's DependencyUnavailableError) tells them apart. The other force's case names
   * the owner's incident reference, so the owning force sees the attempt in its own audit trail.
   */
  async function receipt(caller: Caller, receiptId: string): Promise<ReceiptRecord | undefined> {
    const record = await view.receipt(receiptId);
    if (record?.force === caller.organisation) return record;
    const event = auditEvent(
      SERVICE,
      'access-denied',
      deps.now(),
      {
        actor: actorOf(caller),
        receiptId,
        incidentRef: record === undefined ? null : incidentRef(record.force, record.incidentId),
        reason: record === undefined ? 'receipt-not-found' : 'receipt-of-another-force',
      },
      // Each attempt is its own event; the content-derived id alone would fold repeated attempts into one.
      [randomUUID()],
    );
    await deps.kafka.publish(auditEventsTopic, [{ key: receiptId, value: event }]);
    return undefined;
  }

  return { submit, receipt };
}

export type IncidentIntake = ReturnType<typeof createIncidentIntake>;
