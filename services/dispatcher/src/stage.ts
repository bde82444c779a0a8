import { auditEvent, incidentRef } from '@hub/audit';
import {
  auditEventsTopic,
  daIncidentDecidedTopic,
  notificationsIssuedTopic,
  type DaIncidentDecided,
  type DaNotificationPayload,
} from '@hub/contracts';
import { OUTAGE_TOLERANT_RETRY, output, type KafkaClient, type Output, type Subscription } from '@hub/kafka';
import { buildNotifications, type IncidentContext, type Policy } from '@hub/policy';
import type { HubKeyStore } from '@hub/signing';
import type { Lineage, LineageSlot } from './lineage.ts';

const SERVICE = 'dispatcher';

export interface DispatcherDeps {
  readonly kafka: KafkaClient;
  readonly keys: HubKeyStore;
  readonly policy: Policy;
  readonly lineage: Lineage;
  readonly now: () => Date;
}

/**
 * The dispatcher stage: decided -> one minimised payload per recipient (the policy's payload builders), signed as
 * a compact JWS by the hub's active key, and issued to its inbox's topic; audited as routed and signed in the
 * same transaction. Withholds produce nothing here: they are already audited as decisions.
 */
export function startDispatcherStage(deps: DispatcherDeps): Promise<Subscription> {
  return deps.kafka.processTransactionally(daIncidentDecidedTopic, {
    groupId: 'dispatcher',
    transactionalId: 'dispatcher',
    // The handler reads and writes the amendment lineage in Redis: an outage must not dead-letter decisions.
    retry: OUTAGE_TOLERANT_RETRY,
    handle: ({ value }) => dispatch(deps, value),
  });
}

export async function dispatch(deps: DispatcherDeps, decided: DaIncidentDecided): Promise<Output[]> {
  const { identified, decisions } = decided;
  const { received } = identified;
  if (decisions.policyVersion !== deps.policy.version) {
    // The payload wording is versioned with the policy; never word a decision under a different version.
    throw new Error(`decided under policy ${decisions.policyVersion}, but this dispatcher has ${deps.policy.version}`);
  }
  const incident: IncidentContext = {
    receiptId: received.receiptId,
    force: received.force,
    submission: received.submission,
    identities: identified.identities,
  };
  const subjectRefOf = new Map(decisions.decisions.map((d) => [d.decisionId, d.subjectRef]));
  const slotOf = (payload: Pick<DaNotificationPayload, 'kind' | 'recipient' | 'decisionId'>): LineageSlot => ({
    force: received.force,
    incidentId: received.incidentId,
    kind: payload.kind,
    recipient: payload.recipient,
    subjectRef: subjectRefOf.get(payload.decisionId) ?? null,
  });

  // First pass learns which notifications this decision set makes; the second words them with what they amend.
  const slotKey = (kind: string, recipient: string, subjectRef: string | null) =>
    `${kind}|${recipient}|${subjectRef ?? ''}`;
  const amends = new Map<string, string | null>();
  for (const payload of buildNotifications(deps.policy, incident, decisions)) {
    const slot = slotOf(payload);
    amends.set(
      slotKey(slot.kind, slot.recipient, slot.subjectRef),
      await deps.lineage.amends(slot, payload.notificationId),
    );
  }
  const payloads = buildNotifications(deps.policy, incident, decisions, {
    amendsOf: ({ kind, recipient, subjectRef }) => amends.get(slotKey(kind, recipient, subjectRef)) ?? null,
  });

  const at = deps.now();
  const ref = incidentRef(received.force, received.incidentId);
  const outputs: Output[] = [];
  for (const payload of payloads) {
    const jws = await deps.keys.sign(payload, { typ: `${payload.kind}+jws` });
    const subjectRef = subjectRefOf.get(payload.decisionId) ?? null;
    const identity = identified.identities.find((candidate) => candidate.ref === subjectRef);
    const fields = {
      receiptId: received.receiptId,
      incidentRef: ref,
      subjectRef,
      nhsNumber: identity?.outcome === 'matched' ? identity.nhsNumber : null,
      recipient: payload.recipient,
      notificationId: payload.notificationId,
    } as const;
    outputs.push(
      output(notificationsIssuedTopic, {
        key: payload.recipient,
        value: {
          notificationId: payload.notificationId,
          recipient: payload.recipient,
          kind: payload.kind,
          receiptId: received.receiptId,
          subjectRef,
          amends: payload.amends,
          issuedAt: at.toISOString(),
          jws,
        },
      }),
      output(auditEventsTopic, {
        key: received.receiptId,
        value: auditEvent(SERVICE, 'notification-routed', at, fields),
      }),
      output(auditEventsTopic, {
        key: received.receiptId,
        value: auditEvent(SERVICE, 'notification-signed', at, { ...fields, reason: deps.keys.activeKid.slice(0, 80) }),
      }),
    );
    await deps.lineage.record(slotOf(payload), payload.notificationId);
  }
  return outputs;
}
