import { randomUUID } from 'node:crypto';
import {
  auditEventsTopic,
  contentHash,
  contentId,
  daIncidentReceivedTopic,
  type Caller,
  type DaIncidentSubmission,
} from '@hub/contracts';
import { actorOf, auditEvent, incidentRef } from '@hub/audit';
import { orNotReady } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';
import { withLock, type RedisClient } from '@hub/redis';

const SERVICE = 'police-gateway';
/** Longer than any single submission takes; a crashed holder's lock expires by itself. */
const LOCK_TTL_MS = 15_000;

export interface IntakeDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly now: () => Date;
  /** Stable per gateway instance; its transactions are serialised by the Kafka client. */
  readonly transactionalId: string;
}

export interface IntakeResult {
  readonly receiptId: string;
  /** `accepted`: recorded (first version or amendment); `unchanged`: identical to the latest version, nothing changed. */
  readonly outcome: 'accepted' | 'unchanged';
  readonly amendsReceiptId: string | null;
}

/** What the gateway remembers about a receipt (a Redis view; the record itself is on Kafka). No personal data. */
export interface ReceiptRecord {
  readonly receiptId: string;
  readonly force: string;
  readonly incidentId: string;
  readonly amendsReceiptId: string | null;
  readonly receivedAt: string;
}

interface LatestVersion {
  readonly receiptId: string;
  readonly contentHash: string;
}

const keys = {
  latest: (force: string, incidentId: string) => `da:incident:${force}:${incidentId}:latest`,
  lock: (force: string, incidentId: string) => `da:incident:${force}:${incidentId}:lock`,
  receipt: (receiptId: string) => `da:receipt:${receiptId}`,
};

/**
 * Accepts police submissions. The same submission always gets the same receipt (its id is derived from force,
 * incident id, content and the version it amends); an unchanged resend changes nothing; a changed one is an
 * amendment of the latest version. The received event and its audit event leave in one Kafka transaction; the
 * Redis view is written after, and a crash in between is harmless because a retry derives the same receipt id.
 */
export function createIncidentIntake(deps: IntakeDeps) {
  function withIncidentLock<R>(force: string, incidentId: string, work: () => Promise<R>): Promise<R> {
    const busyDetail = 'Another submission of this incident is being recorded; retry shortly.';
    return withLock(deps.redis, keys.lock(force, incidentId), { ttlMs: LOCK_TTL_MS, busyDetail }, work);
  }

  async function submit(caller: Caller, submission: DaIncidentSubmission): Promise<IntakeResult> {
    const force = caller.organisation;
    const { incidentId } = submission;
    const hash = contentHash(submission);
    return withIncidentLock(force, incidentId, async () => {
      const latestRaw = await deps.redis.get(keys.latest(force, incidentId));
      const latest = latestRaw === null ? undefined : (JSON.parse(latestRaw) as LatestVersion);
      const at = deps.now();
      const ref = incidentRef(force, incidentId);
      if (latest?.contentHash === hash) {
        await deps.kafka.publish(auditEventsTopic, [
          {
            key: latest.receiptId,
            value: auditEvent(SERVICE, 'incident-unchanged', at, {
              actor: actorOf(caller),
              receiptId: latest.receiptId,
              incidentRef: ref,
            }),
          },
        ]);
        const original = await readReceipt(latest.receiptId);
        return {
          receiptId: latest.receiptId,
          outcome: 'unchanged',
          amendsReceiptId: original?.amendsReceiptId ?? null,
        };
      }
      const amendsReceiptId = latest?.receiptId ?? null;
      const receiptId = contentId('rcpt', force, incidentId, hash, amendsReceiptId ?? '');
      const receivedAt = at.toISOString();
      await deps.kafka.transaction(deps.transactionalId, async (tx) => {
        await tx.publish(daIncidentReceivedTopic, [
          {
            key: ref,
            value: {
              receiptId,
              force,
              incidentId,
              contentHash: hash,
              amendsReceiptId,
              receivedAt,
              submittedBy: caller.clientId,
              submission,
            },
          },
        ]);
        await tx.publish(auditEventsTopic, [
          {
            key: receiptId,
            value: auditEvent(SERVICE, 'incident-received', at, {
              actor: actorOf(caller),
              receiptId,
              incidentRef: ref,
              reason: amendsReceiptId === null ? 'first-version' : 'amendment',
            }),
          },
        ]);
      });
      const record: ReceiptRecord = { receiptId, force, incidentId, amendsReceiptId, receivedAt };
      await deps.redis
        .multi()
        .set(keys.receipt(receiptId), JSON.stringify(record))
        .set(keys.latest(force, incidentId), JSON.stringify({ receiptId, contentHash: hash } satisfies LatestVersion))
        .exec();
      return { receiptId, outcome: 'accepted', amendsReceiptId };
    });
  }

  async function readReceipt(receiptId: string): Promise<ReceiptRecord | undefined> {
    const raw = await deps.redis.get(keys.receipt(receiptId));
    return raw === null ? undefined : (JSON.parse(raw) as ReceiptRecord);
  }

  /**
   * The receipt, only for the force that submitted it. Another force gets the same answer as for a receipt that
   * does not exist (undefined: the route answers 404), and both are audited first (`access-denied`, reason
   * `receipt-of-another-force` or `receipt-not-found`), so neither the answer nor its failure (503 `not-ready` when
   * the audit cannot be written) tells them apart. The other force's case names the owner's incident reference, so
   * the owning force sees the attempt in its own audit trail.
   */
  async function receipt(caller: Caller, receiptId: string): Promise<ReceiptRecord | undefined> {
    const record = await readReceipt(receiptId);
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
    await orNotReady(
      () => deps.kafka.publish(auditEventsTopic, [{ key: receiptId, value: event }]),
      'The hub could not audit this request, so it was not answered. Retry later.',
    );
    return undefined;
  }

  return { submit, receipt };
}

export type IncidentIntake = ReturnType<typeof createIncidentIntake>;
