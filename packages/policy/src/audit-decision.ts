import type { DecisionOutcome, LawfulBasis } from '@hub/contracts';

/**
 * The audit trail's shape of any decision, domestic-abuse or child-protection (`auditDecision` in
 * contracts/src/audit.ts). Lawful bases are stable codes; their legal text is LAWFUL_BASES in contracts/src/decisions.ts.
 */
export function auditDecisionOf(decision: {
  readonly rule: string;
  readonly policyVersion: string;
  readonly outcome: DecisionOutcome;
  readonly lawfulBasis: readonly LawfulBasis[];
  readonly reason: string;
}) {
  return {
    rule: decision.rule,
    policyVersion: decision.policyVersion,
    outcome: decision.outcome,
    lawfulBasis: [...decision.lawfulBasis],
    reason: decision.reason,
  };
}
