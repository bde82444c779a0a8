import { auditEvent, incidentRef, issueNotification } from '@hub/audit';
import {
  auditEventsTopic,
  notificationsIssuedTopic,
  STEPS,
  type DaIncidentDecided,
  type DaNotificationPayload,
  type IssuedLineage,
  type IssuedNotification,
} from '@hub/contracts';
import {
  bindStage,
  OUTAGE_TOLERANT_RETRY,
  output,
  type InboundMessage,
  type Output,
  type StageBinding,
} from '@hub/kafka';
import {
  buildNotifications,
  buildWithdrawals,
  deadlinesFor,
  issuedDeadlinesOf,
  slotKeyOf,
  slotOf,
  type IncidentContext,
  type NotificationSlot,
  type Policy,
} from '@hub/policy';
import type { HubKeyStore } from '@hub/signing';
import type { Lineage, LineageReads, LineageSlot, RoundNeeds } from './lineage.ts';

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
    // A round's lineage reads in one or two round trips instead of several per input (issue 10).
    async prepareRound(messages) {
      const lineage = await deps.lineage.forRound(roundNeeds(deps.policy, messages));
      return ({ value, offset }) => dispatch({ ...deps, lineage }, value, offset);
    },
  });
}

/**
 * What the round's decision sets read: their incidents and the slots they fill (`forRound` also loads the slots
 * their incidents' entries name). A decision set it cannot tell is left out: its reads go to Redis when handled.
 */
function roundNeeds(policy: Policy, messages: readonly InboundMessage<typeof STEPS.dispatcher.input>[]): RoundNeeds {
  const incidents: RoundNeeds['incidents'][number][] = [];
  const slots: LineageSlot[] = [];
  for (const { value } of messages) {
    const { received } = value.identified;
    incidents.push({ force: received.force, incidentId: received.incidentId });
    if (value.decisions.policyVersion !== policy.version) continue; // refused when handled
    try {
      for (const payload of buildNotifications(policy, incidentOf(value), value.decisions)) {
        slots.push(lineageSlotOf(value, slotOf(value.decisions, payload)));
      }
    } catch {
      // Its handler fails the same way, and is retried and dead-lettered alone.
    }
  }
  return { incidents, slots };
}

function incidentOf({ identified }: DaIncidentDecided): IncidentContext {
  const { received } = identified;
  return {
    receiptId: received.receiptId,
    force: received.force,
    submission: received.submission,
    identities: identified.identities,
  };
}

function lineageSlotOf(
  { identified }: DaIncidentDecided,
  slot: { kind: string; recipient: string; subjectRef: string | null },
): LineageSlot {
  return {
    force: identified.received.force,
    incidentId: identified.received.incidentId,
    kind: slot.kind,
    recipient: slot.recipient,
    subjectRef: slot.subjectRef,
  };
}

/**
 * One decision set, at `offset` in its partition of `da.incident-decided.v1`. What it amends and withdraws is read
 * from the lineage entries of the inputs before that offset only, and its own entries are written last, from the
 * issued records themselves (each carries its `lineage`: incident, this offset, slot kind), as the lineage
 * projector writes them from the topic: so running it again (a retry, a batch retried after an abort, a replay)
 * gives the same outputs, and a lineage rebuilt from `notifications.issued.v1` is the one written here.
 */
export async function dispatch(
  deps: Pick<DispatcherDeps, 'keys' | 'policy' | 'now'> & { readonly lineage: LineageReads },
  decided: DaIncidentDecided,
  offset: string,
): Promise<Output[]> {
  const { identified, decisions } = decided;
  const { received } = identified;
  if (decisions.policyVersion !== deps.policy.version) {
    // The payload wording is versioned with the policy; never word a decision under a different version.
    throw new Error(`decided under policy ${decisions.policyVersion}, but this dispatcher has ${deps.policy.version}`);
  }
  const incident = incidentOf(decided);
  const lineageSlot = (slot: { kind: string; recipient: string; subjectRef: string | null }): LineageSlot =>
    lineageSlotOf(decided, slot);

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
  // One record per slot per input: a withdrawn slot is one this decision set does not fill.
  const slotsIssued = new Set<string>();
  const issue = async (
    payload: DaNotificationPayload,
    slot: NotificationSlot,
    nhsNumber: string | null,
    routedReason: string | null,
  ) => {
    if (slotsIssued.has(slotKeyOf(slot))) throw new Error('two notifications fill one slot');
    slotsIssued.add(slotKeyOf(slot));
    outputs.push(
      ...(await issueNotification(deps.keys, payload, {
        service: SERVICE,
        receiptId: received.receiptId,
        incidentRef: ref,
        subjectRef: slot.subjectRef,
        nhsNumber,
        routedReason,
        at,
        lineage: lineageOf(ref, offset, slot),
        // Fixed when issued, under the policy that decided it; a non-delivery report goes back to the force.
        deadlines: issuedDeadlinesOf(
          deadlinesFor(
            deps.policy,
            {
              kind: payload.kind,
              risk: decisions.effectiveRisk,
              area: decisions.localAuthority,
              recipient: payload.recipient,
            },
            at,
          ),
          `force:${received.force}`,
        ),
      })),
    );
  };

  // A copy of an earlier decision set (its receipt recorded twice: an intake whose commit outlived its request's
  // deadline, then the police system's retry) issues nothing its original issued: notifications.issued.v1 holds each
  // notification once. Read from entries before this offset only, so a retry or replay answers the same.
  const issuedEarlier = (slot: NotificationSlot, notificationId: string) =>
    deps.lineage.issuedEarlier(lineageSlot(slot), offset, notificationId);
  for (const payload of payloads) {
    const slot = slotOf(decisions, payload);
    if (await issuedEarlier(slot, payload.notificationId)) continue;
    const identity = identified.identities.find((candidate) => candidate.ref === slot.subjectRef);
    await issue(payload, slot, identity?.outcome === 'matched' ? identity.nhsNumber : null, null);
  }
  for (const withdrawal of withdrawals) {
    const slot = previous.find((candidate) => candidate.notificationId === withdrawal.withdraws);
    if (slot === undefined) throw new Error(`withdrawal ${withdrawal.notificationId} names no earlier slot`);
    if (await issuedEarlier(slot, withdrawal.notificationId)) continue;
    // No NHS number: the withdrawn notification may have been about another person than the one now identified.
    // Issued in the withdrawn notification's slot, so a later share there amends the withdrawal.
    await issue(withdrawal, slot, null, withdrawal.reason);
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
  }
  // Written once every output is built (an attempt that fails before leaves none; a retry writes the same again),
  // in one round trip.
  await deps.lineage.recordAllIssued(
    outputs.filter((item) => item.topic === notificationsIssuedTopic).map((item) => item.value as IssuedNotification),
  );
  return outputs;
}

/** An issued record's `lineage`: a withdrawal's slot is the withdrawn notification's. */
function lineageOf(incidentRef: string, decisionOffset: string, slot: NotificationSlot): IssuedLineage {
  if (slot.kind === 'da-withdrawal') throw new Error('a withdrawal is recorded in the slot it withdraws');
  return { incidentRef, decisionOffset, slotKind: slot.kind };
}
