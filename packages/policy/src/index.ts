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
export { decisionIdFor, notificationIdFor } from './ids.ts';
export {
  buildExceptionItem,
  buildGpNotification,
  buildMaracReferral,
  buildNotifications,
  type BuildAllOptions,
  type BuildOptions,
  type IncidentContext,
} from './payloads.ts';
export { PolicyError, loadPolicy, resolveThresholds, type Policy, type PolicyProblem } from './policy.ts';
export { REASON_PLACEHOLDERS, type ReasonPlaceholder } from './reasons.ts';
