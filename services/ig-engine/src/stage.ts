import { auditEvent, incidentRef } from '@hub/audit';
import { auditEventsTopic, daIncidentDecidedTopic, STEPS, type DaIncidentIdentified } from '@hub/contracts';
import { bindStage, output, type Output } from '@hub/kafka';
import { auditDecisionOf, evaluateIncident, type Policy } from '@hub/policy';

const SERVICE = 'ig-engine';

/**
 * The IG engine stage: identified -> decided. Every decision, share or withhold, is audited with its rule, policy
 * version and lawful basis, in the same transaction as the decision set.
 */
export function igEngineStage(policy: Policy, now: () => Date) {
  return bindStage(STEPS.igEngine, {
    handle: ({ value: identified }): Promise<Output[]> => Promise.resolve(decide(policy, identified, now())),
  });
}

export function decide(policy: Policy, identified: DaIncidentIdentified, at: Date): Output[] {
  const { received, identities } = identified;
  const decisions = evaluateIncident(policy, {
    receiptId: received.receiptId,
    submission: received.submission,
    identities,
  });
  const ref = incidentRef(received.force, received.incidentId);
  const nhsNumberOf = (subjectRef: string | null) => {
    const identity = identities.find((candidate) => candidate.ref === subjectRef);
    return identity?.outcome === 'matched' ? identity.nhsNumber : null;
  };
  return [
    output(daIncidentDecidedTopic, { key: ref, value: { identified, decisions } }),
    ...decisions.decisions.map((decision) =>
      output(auditEventsTopic, {
        key: received.receiptId,
        value: auditEvent(SERVICE, 'decision-recorded', at, {
          receiptId: received.receiptId,
          incidentRef: ref,
          subjectRef: decision.subjectRef,
          nhsNumber: nhsNumberOf(decision.subjectRef),
          recipient: decision.recipient,
          decision: auditDecisionOf(decision),
          reason: decision.facts.identityException ?? null,
        }),
      }),
    ),
  ];
}
