import { auditEvent, incidentRef, issueNotification } from '@hub/audit';
import {
  auditEventsTopic,
  parseRecipient,
  STEPS,
  type CpDecision,
  type CpNotificationPayload,
  type CpPlanRecorded,
} from '@hub/contracts';
import { findExactly, incidentDate, registeredPracticeOn, type PatientDirectory } from '@hub/directory';
import { bindStage, OUTAGE_TOLERANT_RETRY, output, type Output, type StageBinding } from '@hub/kafka';
import {
  auditDecisionOf,
  decideAccessNotifications,
  decidePlanNotification,
  decidePlanOutOfScope,
  decideRefusalNotice,
  deadlinesFor,
  issuedDeadlinesOf,
  type ChildProtectionPolicy,
  type Decided,
  type PlanRoute,
} from '@hub/policy';
import type { HubKeyStore } from '@hub/signing';

const SERVICE = 'cp-notifier';

/** What deciding and signing need; the stages add the Kafka client. */
export interface NotifyDeps {
  readonly keys: HubKeyStore;
  readonly policy: ChildProtectionPolicy;
  readonly directory: PatientDirectory;
  readonly now: () => Date;
}

/**
 * The child-protection notifier: three stages, one per record topic, each turning a record into its decisions and
 * signed notifications (`notifications.issued.v1`), audited in the same Kafka transaction:
 * - `cp.plan-recorded.v1` -> the registered practice of the plan's subject today, or the exceptions inbox; nobody
 *   for a plan that had ended before the visibility window when it was recorded (CP-PLAN-OUT-OF-SCOPE, audited);
 * - `cp.plan-refused.v1` -> a notice to the submitting authority's inbox;
 * - `cp.flag-accessed.v1` -> one access notification per owning authority.
 * Ids are content-derived, so a redelivery issues the same notification id and the inbox keeps it once.
 */
export function notifierStages(deps: NotifyDeps): StageBinding[] {
  return [
    bindStage(STEPS.planNotifier, {
      // The directory may be remote (PDS): an outage must not dead-letter a plan.
      retry: OUTAGE_TOLERANT_RETRY,
      handle: ({ value }) => notifyPlan(deps, value),
    }),
    bindStage(STEPS.refusalNotifier, {
      handle: async ({ value }) => {
        const decided = decideRefusalNotice(deps.policy, value);
        return issue(deps, [decided], {
          sourceId: value.refusalId,
          ref: incidentRef(value.localAuthority, value.planId),
          nhsNumber: value.nhsNumber,
        });
      },
    }),
    bindStage(STEPS.accessNotifier, {
      handle: async ({ value }) =>
        issue(deps, decideAccessNotifications(deps.policy, value), {
          sourceId: value.lookupId,
          ref: null,
          nhsNumber: value.nhsNumber,
        }),
    }),
  ];
}

/** Where the plan's subject can be routed today: exactly one practice of an active, unrestricted record, or why not. */
export async function routeOf(directory: PatientDirectory, nhsNumber: string, today: string): Promise<PlanRoute> {
  const patient = await findExactly(directory, nhsNumber);
  if (patient === undefined) return { outcome: 'exception', reason: 'nhs-number-not-found' };
  if (!patient.active) return { outcome: 'exception', reason: 'inactive-record' };
  if (patient.restricted) return { outcome: 'exception', reason: 'restricted-record' };
  const practiceOds = registeredPracticeOn(patient.practices, today);
  if (practiceOds === undefined) return { outcome: 'exception', reason: 'no-registered-practice' };
  return {
    outcome: 'matched',
    practiceOds,
    patient: { nhsNumber: patient.nhsNumber, name: patient.name, birthDate: patient.birthDate },
  };
}

export async function notifyPlan(deps: NotifyDeps, recorded: CpPlanRecorded): Promise<Output[]> {
  const source = {
    sourceId: recorded.versionId,
    ref: incidentRef(recorded.localAuthority, recorded.planId),
    nhsNumber: recorded.plan.nhsNumber,
  };
  // Scoped on the day it was recorded, so a redelivery or replay decides the same. An out-of-scope plan is not
  // routed at all: nobody is told, so the directory has no reason to be asked about the child.
  const withheld = decidePlanOutOfScope(deps.policy, recorded, incidentDate(recorded.recordedAt));
  if (withheld !== undefined) return [auditDecision(source, withheld, deps.now())];
  const today = incidentDate(deps.now().toISOString());
  const [route, authority] = await Promise.all([
    routeOf(deps.directory, recorded.plan.nhsNumber, today),
    deps.directory.localAuthority(recorded.localAuthority),
  ]);
  const decided = decidePlanNotification(deps.policy, {
    recorded,
    route,
    localAuthority: { ons: recorded.localAuthority, name: authority?.name ?? recorded.localAuthority },
  });
  return issue(deps, [decided], source);
}

interface Source {
  /** The record the notifications come from: plan version, refusal or look-up id. */
  readonly sourceId: string;
  readonly ref: string | null;
  /** The child's (or mother's) NHS number: the audit trail is searchable by it. */
  readonly nhsNumber: string;
}

async function issue(
  deps: NotifyDeps,
  decisions: readonly Decided<CpNotificationPayload>[],
  source: Source,
): Promise<Output[]> {
  const at = deps.now();
  const outputs: Output[] = [];
  for (const { decision, payload } of decisions) {
    outputs.push(
      auditDecision(source, decision, at),
      ...(await issueNotification(deps.keys, payload, {
        service: SERVICE,
        receiptId: source.sourceId,
        incidentRef: source.ref,
        subjectRef: null,
        nhsNumber: source.nhsNumber,
        routedReason: null,
        at,
        deadlines: deadlinesOf(deps.policy, payload, at),
      })),
    );
  }
  return outputs;
}

/**
 * A notification's deadlines, fixed when issued. A plan's notification reports non-delivery to its authority's own
 * inbox; an access notification (the look-up came from a care setting) and a refusal notice (the hub's own) have no
 * sender inbox, so their final deadline is recorded only.
 */
function deadlinesOf(policy: ChildProtectionPolicy, payload: CpNotificationPayload, at: Date) {
  const plan = payload.kind === 'cp-gp-notification' || payload.kind === 'cp-exception' ? payload.plan : null;
  const area = plan?.localAuthority ?? parseRecipient(payload.recipient).code;
  return issuedDeadlinesOf(
    deadlinesFor(policy, { kind: payload.kind, area, recipient: payload.recipient }, at),
    plan === null ? null : `la:${plan.localAuthority}`,
  );
}

function auditDecision(source: Source, decision: CpDecision, at: Date): Output {
  return output(auditEventsTopic, {
    key: source.sourceId,
    value: auditEvent(SERVICE, 'decision-recorded', at, {
      receiptId: source.sourceId,
      incidentRef: source.ref,
      nhsNumber: source.nhsNumber,
      recipient: decision.recipient,
      decision: auditDecisionOf(decision),
    }),
  });
}
