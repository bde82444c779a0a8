import {
  auditEventsTopic,
  notificationsIssuedTopic,
  signedPayloadType,
  type IssuedDeadlines,
  type IssuedLineage,
  type SignedPayload,
} from '@hub/contracts';
import { output, type Output } from '@hub/kafka';
import type { HubKeyStore } from '@hub/signing';
import { auditEvent } from './event.ts';

/** Where a notification comes from and who it concerns: the issued record's and its audit events' fields. */
export interface IssueSource {
  /** The `service` of the audit events, e.g. `dispatcher`. */
  readonly service: string;
  /** What the notification came from: a DA receipt, a plan version, a plan refusal or a flag look-up id. */
  readonly receiptId: string;
  readonly incidentRef: string | null;
  /** The submitting organisation's reference for the person it is about; null for one about everyone. */
  readonly subjectRef: string | null;
  /** The person's NHS number when known: the audit trail is searchable by it. */
  readonly nhsNumber: string | null;
  /** The `reason` of the `notification-routed` event (a withdrawal's reason), or null. */
  readonly routedReason: string | null;
  readonly at: Date;
  /** A domestic-abuse notification's place in its incident's amendment lineage (the issued record's `lineage`). */
  readonly lineage?: IssuedLineage;
  /** Its delivery deadlines (the issued record's `deadlines`), for everything issued under a policy with deadlines. */
  readonly deadlines?: IssuedDeadlines;
}

/**
 * Signs a minimised payload as a compact JWS (`typ` `<kind>+jws`, the hub's active key) and issues it: the
 * `notifications.issued.v1` record, keyed by recipient, then its `notification-routed` and `notification-signed`
 * audit events (the signing kid as reason), keyed by the source, for the caller's step to commit in one
 * transaction. Every id comes from the payload and the source, so the same input gives the same records.
 */
export async function issueNotification(
  keys: Pick<HubKeyStore, 'sign' | 'activeKid'>,
  payload: SignedPayload,
  source: IssueSource,
): Promise<Output[]> {
  const jws = await keys.sign(payload, { typ: signedPayloadType(payload.kind) });
  const fields = {
    receiptId: source.receiptId,
    incidentRef: source.incidentRef,
    subjectRef: source.subjectRef,
    nhsNumber: source.nhsNumber,
    recipient: payload.recipient,
    notificationId: payload.notificationId,
  } as const;
  return [
    output(notificationsIssuedTopic, {
      key: payload.recipient,
      value: {
        notificationId: payload.notificationId,
        recipient: payload.recipient,
        kind: payload.kind,
        receiptId: source.receiptId,
        subjectRef: source.subjectRef,
        // Only a domestic-abuse payload can replace an earlier notification.
        amends: 'amends' in payload ? payload.amends : null,
        issuedAt: source.at.toISOString(),
        jws,
        ...(source.lineage === undefined ? {} : { lineage: source.lineage }),
        ...(source.deadlines === undefined ? {} : { deadlines: source.deadlines }),
      },
    }),
    output(auditEventsTopic, {
      key: source.receiptId,
      value: auditEvent(source.service, 'notification-routed', source.at, { ...fields, reason: source.routedReason }),
    }),
    output(auditEventsTopic, {
      key: source.receiptId,
      value: auditEvent(source.service, 'notification-signed', source.at, {
        ...fields,
        reason: keys.activeKid.slice(0, 80),
      }),
    }),
  ];
}
