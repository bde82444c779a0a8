import { auditEvent, incidentRef, issueNotification } from '@hub/audit';
import { auditEventsTopic, STEPS, type DaIncidentDecided, type DaNotificationPayload } from '@hub/contracts';
import { bindStage, OUTAGE_TOLERANT_RETRY, output, type Output, type StageBinding } from '@hub/kafka';
import {
  buildNotifications,
  buildWithdrawals,
  slotKeyOf,
  slotOf,
  type IncidentContext,
  type IssuedSlot,
  type Policy,
} from '@hub/policy';
import type { HubKeyStore } from '@hub/signing';
import type { Lineage, LineageSlot } from './lineage.ts';

const SERVICE = 'dispatcher';

export interface DispatcherDeps {
  readonly keys: HubKeyStore;
  readonly policy: Policy;
  readonly lineage: Lineage;
  readonly now: () => Date;
}

/**
 * The dispatcher stage: decided -> one minimised payload per recipient (the policy's payload builders), signed and
 * issued by `@hub/audit`'s `issueNotification` (the compact JWS, the issued record, its routed and signed audit
 * events), all in one transaction. Withholds produce nothing here: they are already audited as decisions. An
 * amendment that no longer sends anything to a recipient the previous receipt sent a notification to withdraws
 * that notification.
 */
export function dispatcherStage(deps: DispatcherDeps): StageBinding {
  if (deps.policy.withdrawal === null) {
    // Refuse at start rather than stall on the first amendment that needs a withdrawal.
    throw new Error(`policy ${deps.policy.version} has no withdrawal wording; the dispatcher needs it`);
  }
  return bindStage(STEPS.dispatcher, {
    // The handler reads and writes the amendment lineage in Redis: an outage must not dead-letter decisions.
    retry: OUTAGE_TOLERANT_RETRY,
    handle: ({ value, offset }) => dispatch(deps, value, offset),
  });
}

/**
 * One decision set, at `offset` in its partition of `da.incident-decided.v1`. What it amends and withdraws is read
 * from the lineage entries of the inputs before that offset only, and its own entries are written last, at that
 * offset: so running it again (a retry, a batch retried after an abort, a replay) gives the same outputs.
 */
export async function dispatch(
  deps: Pick<DispatcherDeps, 'keys' | 'policy' | 'lineage' | 'now'>,
  decided: DaIncidentDecided,
  offset: string,
): Promise<Output[]> {
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
  const lineageSlot = (slot: { kind: string; recipient: string; subjectRef: string | null }): LineageSlot => ({
    force: received.force,
    incidentId: received.incidentId,
    kind: slot.kind,
    recipient: slot.recipient,
    subjectRef: slot.subjectRef,
  });

  // First pass learns which slots this decision set fills; the second words them with what they amend.
  const unworded = buildNotifications(deps.policy, incident, decisions);
  const [amendsBySlot, previous] = await Promise.all([
    Promise.all(
      unworded.map(async (payload) => {
        const slot = slotOf(decisions, payload);
        const amends = await deps.lineage.amends(lineageSlot(slot), offset, payload.notificationId);
        return [slotKeyOf(slot), amends] as const;
      }),
    ),
    // What the receipt before this one filled and this one does not: each such notification is withdrawn.
    deps.lineage.issuedBefore(received.force, received.incidentId, offset, received.receiptId),
  ]);
  const amends = new Map(amendsBySlot);
  const payloads = buildNotifications(deps.policy, incident, decisions, {
    amendsOf: (slot) => amends.get(slotKeyOf(slot)) ?? null,
  });
  const withdrawals = buildWithdrawals(deps.policy, incident, decisions, previous);

  const at = deps.now();
  const ref = incidentRef(received.force, received.incidentId);
  const outputs: Output[] = [];
  const issue = async (
    payload: DaNotificationPayload,
    subjectRef: string | null,
    nhsNumber: string | null,
    routedReason: string | null,
  ) => {
    outputs.push(
      ...(await issueNotification(deps.keys, payload, {
        service: SERVICE,
        receiptId: received.receiptId,
        incidentRef: ref,
        subjectRef,
        nhsNumber,
        routedReason,
        at,
      })),
    );
  };

  const issued: IssuedSlot[] = [];
  const withdrawn: IssuedSlot[] = [];
  for (const payload of payloads) {
    const slot = slotOf(decisions, payload);
    const identity = identified.identities.find((candidate) => candidate.ref === slot.subjectRef);
    await issue(payload, slot.subjectRef, identity?.outcome === 'matched' ? identity.nhsNumber : null, null);
    issued.push({ ...slot, notificationId: payload.notificationId });
  }
  for (const withdrawal of withdrawals) {
    const slot = previous.find((candidate) => candidate.notificationId === withdrawal.withdraws);
    if (slot === undefined) throw new Error(`withdrawal ${withdrawal.notificationId} names no earlier slot`);
    // No NHS number: the withdrawn notification may have been about another person than the one now identified.
    await issue(withdrawal, slot.subjectRef, null, withdrawal.reason);
    outputs.push(
      output(auditEventsTopic, {
        key: received.receiptId,
        value: auditEvent(SERVICE, 'notification-withdrawn', at, {
          receiptId: received.receiptId,
          incidentRef: ref,
          subjectRef: slot.subjectRef,
          recipient: slot.recipient,
          notificationId: withdrawal.withdraws,
          reason: withdrawal.reason,
        }),
      }),
    );
    // In the withdrawn notification's slot, so a later share there amends the withdrawal.
    withdrawn.push({ ...slot, notificationId: withdrawal.notificationId });
  }
  // Written once every output is built (an attempt that fails before leaves none; a retry writes the same again).
  // One entry per slot per input: a withdrawn slot is one this decision set does not fill.
  const recorded = [...issued, ...withdrawn];
  if (new Set(recorded.map(slotKeyOf)).size !== recorded.length) throw new Error('two notifications fill one slot');
  await Promise.all([
    ...recorded.map((entry) => deps.lineage.record(lineageSlot(entry), offset, entry.notificationId)),
    deps.lineage.recordIssued(received.force, received.incidentId, offset, received.receiptId, issued),
  ]);
  return outputs;
}
