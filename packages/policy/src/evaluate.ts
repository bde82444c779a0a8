import {
  decisionSet,
  type DaIncidentSubmission,
  type DashLevel,
  type Decision,
  type DecisionFacts,
  type DecisionSet,
  type SubjectIdentity,
  type SubjectRole,
} from '@hub/contracts';
import type { ConditionFacts } from './conditions.ts';
import {
  effectiveRiskOf,
  incidentDateOf,
  isChildOn,
  maracCriteriaOf,
  type MaracAssessment,
  type Thresholds,
} from './facts.ts';
import { decisionIdFor } from './ids.ts';
import { firstApplicableRule, ruleBranch } from './matching.ts';
import { resolveThresholds, type Policy } from './policy.ts';
import { renderReason, type ReasonValues } from './reasons.ts';

export interface EvaluateInput {
  /** The receipt the police gateway gave the submission (`rcpt_...`). */
  readonly receiptId: string;
  readonly submission: DaIncidentSubmission;
  /** Exactly one identity outcome per subject of the submission. */
  readonly identities: readonly SubjectIdentity[];
}

export interface SubjectFacts {
  readonly ref: string;
  readonly role: SubjectRole;
  readonly isChild: boolean;
}

/** Everything the policy decides on for one incident, before any rule runs. */
export interface IncidentFacts {
  readonly localAuthority: string;
  readonly thresholds: Thresholds;
  /** `occurredAt`'s calendar date: ages are taken on it. */
  readonly incidentDate: string;
  readonly effectiveRisk: DashLevel;
  readonly marac: MaracAssessment;
  /** A child subject, or `childrenPresent`. */
  readonly involvesChild: boolean;
  readonly subjects: readonly SubjectFacts[];
  readonly conditionFacts: ConditionFacts;
}

export function incidentFactsOf(policy: Policy, submission: DaIncidentSubmission): IncidentFacts {
  const thresholds = resolveThresholds(policy, submission.localAuthority);
  const incidentDate = incidentDateOf(submission.occurredAt);
  const effectiveRisk = effectiveRiskOf(submission.dash, thresholds);
  const marac = maracCriteriaOf(effectiveRisk, submission.repeatIncidentsLast12Months, thresholds);
  const subjects = submission.subjects.map((subject) => ({
    ref: subject.ref,
    role: subject.role,
    isChild: isChildOn(subject, incidentDate, thresholds.adultAge),
  }));
  const involvesChild = submission.childrenPresent || subjects.some((subject) => subject.isChild);
  return {
    localAuthority: submission.localAuthority,
    thresholds,
    incidentDate,
    effectiveRisk,
    marac,
    involvesChild,
    subjects,
    conditionFacts: {
      effectiveRisk,
      maracCriteriaMet: marac.met,
      consent: submission.victimConsent,
      involvesChild,
    },
  };
}

/** One identity per subject, by ref; throws on a missing, repeated or unknown ref. */
export function identitiesByRef(input: EvaluateInput): Map<string, SubjectIdentity> {
  const byRef = new Map<string, SubjectIdentity>();
  const refs = new Set(input.submission.subjects.map((subject) => subject.ref));
  for (const identity of input.identities) {
    if (!refs.has(identity.ref)) throw new Error(`identity for "${identity.ref}", which is not a subject`);
    if (byRef.has(identity.ref)) throw new Error(`more than one identity for subject "${identity.ref}"`);
    byRef.set(identity.ref, identity);
  }
  for (const ref of refs) if (!byRef.has(ref)) throw new Error(`no identity for subject "${ref}"`);
  return byRef;
}

/**
 * Applies the policy to one incident. Pure and deterministic: no clock, no I/O, the same input always gives the
 * same decision set (same order, same ids).
 *
 * 1. Facts: thresholds for the incident's local authority, effective risk, MARAC criteria, who is a child,
 *    whether a child is involved.
 * 2. Each subject, in submission order, gets exactly one decision: the first subject rule (in policy order) whose
 *    `who` and `appliesWhen` match decides `then`/`otherwise`. A `share` for a subject whose identity is an
 *    exception becomes the DA-EXCEPTION decision for the area's exceptions inbox instead; a `withhold` stays a
 *    withhold whatever the identity (nothing is sent, so nobody needs to trace the person).
 * 3. Then each incident rule (DA-MARAC) gives one decision, subject null.
 *
 * Throws if `identities` is not exactly one per subject. The result is checked against the `decisionSet` contract.
 */
export function evaluateIncident(policy: Policy, input: EvaluateInput): DecisionSet {
  const { submission, receiptId } = input;
  const facts = incidentFactsOf(policy, submission);
  const identities = identitiesByRef(input);
  const ons = submission.localAuthority;
  const baseFacts = {
    effectiveRisk: facts.effectiveRisk,
    maracCriteriaMet: facts.marac.met,
    involvesChild: facts.involvesChild,
    consent: submission.victimConsent,
  };
  const reasonValues = (extra: Partial<ReasonValues>): ReasonValues => ({
    role: null,
    isChild: null,
    ...baseFacts,
    repeatIncidentsLast12Months: submission.repeatIncidentsLast12Months,
    maracRepeatThreshold: facts.thresholds.maracRepeatThreshold,
    pendingRule: null,
    identityReason: null,
    ...extra,
  });
  const make = (fields: Omit<Decision, 'decisionId' | 'receiptId' | 'policyVersion'>): Decision => ({
    decisionId: decisionIdFor({
      receiptId,
      rule: fields.rule,
      subjectRef: fields.subjectRef,
      recipient: fields.recipient,
      policyVersion: policy.version,
    }),
    receiptId,
    policyVersion: policy.version,
    ...fields,
  });

  const decisions: Decision[] = [];
  for (const subject of facts.subjects) {
    const rule = firstApplicableRule(policy.subjectRules, subject, facts.conditionFacts);
    if (rule === undefined) throw new Error(`no rule applies to subject "${subject.ref}" (policy not loaded?)`);
    const branch = ruleBranch(rule, facts.conditionFacts);
    const outcome = branch === 'then' ? rule.then : (rule.otherwise ?? rule.then);
    const template = branch === 'then' ? rule.reason.then : (rule.reason.otherwise ?? rule.reason.then);
    const subjectFacts: DecisionFacts = {
      role: subject.role,
      isChild: subject.isChild,
      ...baseFacts,
      identityException: null,
    };
    const identity = identities.get(subject.ref);
    const who = { role: subject.role, isChild: subject.isChild };
    if (outcome === 'share' && identity?.outcome === 'exception') {
      const exception = policy.exceptionRule;
      decisions.push(
        make({
          rule: exception.id,
          subjectRef: subject.ref,
          outcome: 'exception',
          recipient: `exceptions:${ons}`,
          wouldShareUnder: rule.id,
          reason: renderReason(
            exception.reason.then,
            reasonValues({ ...who, pendingRule: rule.id, identityReason: identity.reason }),
          ),
          lawfulBasis: [...exception.lawfulBasis],
          facts: { ...subjectFacts, identityException: identity.reason },
        }),
      );
      continue;
    }
    const recipient =
      outcome === 'share' && rule.recipient === 'subject-practice' && identity?.outcome === 'matched'
        ? `gp:${identity.practiceOds}`
        : null;
    decisions.push(
      make({
        rule: rule.id,
        subjectRef: subject.ref,
        outcome,
        recipient,
        wouldShareUnder: null,
        reason: renderReason(template, reasonValues(who)),
        lawfulBasis: [...rule.lawfulBasis],
        facts: subjectFacts,
      }),
    );
  }

  for (const rule of policy.incidentRules) {
    const branch = ruleBranch(rule, facts.conditionFacts);
    const outcome = branch === 'then' ? rule.then : (rule.otherwise ?? rule.then);
    const template = branch === 'then' ? rule.reason.then : (rule.reason.otherwise ?? rule.reason.then);
    decisions.push(
      make({
        rule: rule.id,
        subjectRef: null,
        outcome,
        recipient: outcome === 'share' && rule.recipient === 'marac' ? `marac:${ons}` : null,
        wouldShareUnder: null,
        reason: renderReason(template, reasonValues({})),
        lawfulBasis: [...rule.lawfulBasis],
        facts: { role: null, isChild: null, ...baseFacts, identityException: null },
      }),
    );
  }

  return decisionSet.parse({
    receiptId,
    policyVersion: policy.version,
    localAuthority: ons,
    thresholds: facts.thresholds,
    effectiveRisk: facts.effectiveRisk,
    maracCriteriaMet: facts.marac.met,
    decisions,
  });
}
