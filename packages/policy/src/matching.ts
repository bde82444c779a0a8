import type { SubjectRole } from '@hub/contracts';
import { evaluateCondition, type ConditionFacts } from './conditions.ts';
import type { IncidentRule, SubjectRule } from './document.ts';

/** Whether a subject rule is about this subject: its `who` matches and its `appliesWhen` (if any) holds. */
export function subjectRuleApplies(
  rule: SubjectRule,
  subject: { readonly role: SubjectRole; readonly isChild: boolean },
  facts: ConditionFacts,
): boolean {
  if (rule.who.roles !== undefined && !rule.who.roles.includes(subject.role)) return false;
  if (rule.who.child !== undefined && rule.who.child !== subject.isChild) return false;
  return rule.appliesWhen === undefined || evaluateCondition(rule.appliesWhen, facts);
}

/** The first subject rule, in policy order, that applies; undefined if none (a loaded policy never has a gap). */
export function firstApplicableRule(
  rules: readonly SubjectRule[],
  subject: { readonly role: SubjectRole; readonly isChild: boolean },
  facts: ConditionFacts,
): SubjectRule | undefined {
  return rules.find((rule) => subjectRuleApplies(rule, subject, facts));
}

/** `then` when the rule has no `when` or its `when` holds; `otherwise` when it does not. */
export function ruleBranch(rule: SubjectRule | IncidentRule, facts: ConditionFacts): 'then' | 'otherwise' {
  return rule.when === undefined || evaluateCondition(rule.when, facts) ? 'then' : 'otherwise';
}
