export {
  CONDITION_FACTS,
  CONDITION_LIMITS,
  FACT_DOMAINS,
  evaluateCondition,
  type Condition,
  type ConditionFact,
  type ConditionFacts,
  type FactValue,
} from './conditions.ts';
export { DEFAULT_POLICY_FILE, defaultDomesticAbusePolicy } from './default.ts';
export {
  POLICY_LIMITS,
  policyDocument,
  type ExceptionRule,
  type IncidentRule,
  type PolicyDocument,
  type Rule,
  type SubjectRule,
  type WithdrawalDocument,
} from './document.ts';
export {
  evaluateIncident,
  incidentFactsOf,
  type EvaluateInput,
  type IncidentFacts,
  type SubjectFacts,
} from './evaluate.ts';
export {
  ageOn,
  effectiveRiskOf,
  incidentDateOf,
  isChildOn,
  maracCriteriaOf,
  riskFromYesCount,
  type MaracAssessment,
  type Thresholds,
} from './facts.ts';
export { decisionIdFor, notificationIdFor, withdrawalIdFor } from './ids.ts';
export {
  buildExceptionItem,
  buildGpNotification,
  buildMaracReferral,
  buildNotifications,
  buildWithdrawal,
  buildWithdrawals,
  slotKeyOf,
  slotOf,
  withdrawalReasonOf,
  type BuildAllOptions,
  type BuildOptions,
  type IncidentContext,
  type IssuedSlot,
  type NotificationSlot,
} from './payloads.ts';
export {
  PolicyError,
  WITHDRAWS_PLACEHOLDER,
  loadPolicy,
  resolveThresholds,
  type Policy,
  type PolicyProblem,
} from './policy.ts';
export { REASON_PLACEHOLDERS, type ReasonPlaceholder } from './reasons.ts';
export {
  CP_PRACTICE_NOTICES,
  CP_REASON_PLACEHOLDERS,
  childProtectionPolicyDocument,
  defaultChildProtectionPolicy,
  isUnderChildAgeLimit,
  loadChildProtectionPolicy,
  monthsBefore,
  planScope,
  type ChildProtectionPolicy,
  type ChildProtectionRule,
  type CpPracticeNotice,
  type SnomedConceptEntry,
} from './child-protection.ts';
export {
  decideAccessNotifications,
  decidePlanNotification,
  decidePlanOutOfScope,
  practiceNoticeOf,
  decideRefusalNotice,
  decideScheduledLookup,
  type Decided,
  type PlanNotificationInput,
  type PlanRoute,
} from './child-protection-decisions.ts';
export { auditDecisionOf } from './audit-decision.ts';
export {
  DEADLINE_LIMITS,
  DEADLINE_UNITS,
  ESCALATION_ACTIONS,
  FINAL_ACTIONS,
  NoDeadlineRuleError,
  deadlinesFor,
  issuedDeadlinesOf,
  type DeadlineFacts,
  type DeadlinePolicy,
  type DeadlineRule,
  type DeadlineUnit,
  type DeliveryDeadlines,
  type DueEscalation,
  type DueFinal,
  type EscalationAction,
  type FinalAction,
} from './deadlines.ts';
