import { z } from 'zod';
import { DA_LIMITS, DASH_LEVELS, SUBJECT_ROLES, VICTIM_CONSENT } from './domestic-abuse.ts';
import { IDENTITY_EXCEPTION_REASONS } from './identity.ts';
import { onsCode, recipient } from './identifiers.ts';

/**
 * Information-governance decisions for one domestic-abuse incident receipt: one decision per subject (share,
 * withhold or exception) plus one incident-level MARAC decision. Withholds are decisions too (information-sharing
 * advice rule 7: record the decision and the reasons, whether or not you share). The rules themselves are data in
 * `@hub/policy`; these contracts only describe what a decision records.
 */

/** The rule ids a domestic-abuse policy may use. What each rule does is defined by the policy data, not here. */
export const RULE_IDS = [
  'DA-CHILD',
  'DA-VICTIM-MARAC',
  'DA-VICTIM-MEDIUM',
  'DA-VICTIM-STANDARD',
  'DA-PERPETRATOR',
  'DA-OTHER',
  'DA-MARAC',
  'DA-EXCEPTION',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/**
 * Lawful bases as stable codes (recorded on every decision and never renamed) with a human label. Sources:
 * ../shared/domain.md "Lawful basis".
 */
export const LAWFUL_BASIS_CODES = ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18', 'dpa-part3-sch8-para4'] as const;
export type LawfulBasis = (typeof LAWFUL_BASIS_CODES)[number];

export const LAWFUL_BASES = {
  'uk-gdpr-6-1-e': 'UK GDPR Article 6(1)(e): processing necessary for a task carried out in the public interest',
  'uk-gdpr-9-2-g-dpa-sch1-para18':
    'UK GDPR Article 9(2)(g) substantial public interest, DPA 2018 Schedule 1 Part 2 paragraph 18: safeguarding ' +
    'of children and of individuals at risk',
  'dpa-part3-sch8-para4':
    'DPA 2018 Part 3 (law enforcement processing by a competent authority), Schedule 8 paragraph 4: safeguarding ' +
    'of children and of individuals at risk',
} as const satisfies Record<LawfulBasis, string>;

export const DECISION_OUTCOMES = ['share', 'withhold', 'exception'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** A policy version, e.g. `da-2026.11.1`: a lower-case family, the year, the month and a serial. */
export const policyVersion = z
  .string()
  .regex(/^[a-z][a-z0-9]{0,15}-\d{4}\.(?:[1-9]|1[0-2])\.\d{1,4}$/, 'must be a policy version such as da-2026.11.1');

const receiptId = z.string().regex(/^rcpt_[a-f0-9]{32}$/);

/**
 * `contentId('dec', receiptId, rule, subjectRef ?? '', recipient ?? '', policyVersion)` (see `ids.ts`): 128 bits of
 * sha-256, so the same decision always gets the same id and a new policy version a new one.
 */
export const decisionId = z.string().regex(/^dec_[a-f0-9]{32}$/, 'must be dec_ and 32 hex digits');

const subjectRef = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/);

/** Reasons are rendered from closed templates over the facts below; they never carry personal data. */
export const DECISION_LIMITS = {
  /** The audit trail's limit for a decision reason (`audit.ts`). */
  reasonChars: 300,
  /** One decision per subject plus the incident's MARAC decision. */
  decisionsPerSet: DA_LIMITS.subjects + 1,
} as const;

/** The facts a decision was made on, so that it can be explained without re-running the policy. */
export const decisionFacts = z
  .object({
    /** The subject's role, or null for the incident-level decision. */
    role: z.enum(SUBJECT_ROLES).nullable(),
    /** Under the policy's adult age on the incident date, or role child; null for the incident-level decision. */
    isChild: z.boolean().nullable(),
    effectiveRisk: z.enum(DASH_LEVELS),
    maracCriteriaMet: z.boolean(),
    /** A child subject, or children present at the incident. */
    involvesChild: z.boolean(),
    consent: z.enum(VICTIM_CONSENT),
    /** Why the subject could not be matched; set only on `exception` decisions. */
    identityException: z.enum(IDENTITY_EXCEPTION_REASONS).nullable(),
  })
  .strict();
export type DecisionFacts = z.infer<typeof decisionFacts>;

export const decision = z
  .object({
    decisionId,
    receiptId,
    rule: z.enum(RULE_IDS),
    policyVersion,
    /** The subject the decision is about; null for the incident-level MARAC decision. */
    subjectRef: subjectRef.nullable(),
    outcome: z.enum(DECISION_OUTCOMES),
    /** Who receives something: set for `share` and `exception`, null for `withhold`. */
    recipient: recipient.nullable(),
    /** On `exception` decisions, the rule under which the subject would have been notified; otherwise null. */
    wouldShareUnder: z.enum(RULE_IDS).nullable(),
    /** Rendered from the policy's template: roles, levels, consent and counts only, never personal data. */
    reason: z.string().min(1).max(DECISION_LIMITS.reasonChars),
    lawfulBasis: z.array(z.enum(LAWFUL_BASIS_CODES)).min(1).max(LAWFUL_BASIS_CODES.length),
    facts: decisionFacts,
  })
  .strict()
  .superRefine((d, context) => {
    const issue = (path: string, message: string) => {
      context.addIssue({ code: 'custom', path: [path], message });
    };
    if (new Set(d.lawfulBasis).size !== d.lawfulBasis.length) issue('lawfulBasis', 'must not repeat a code');
    if (d.outcome === 'withhold' && d.recipient !== null) issue('recipient', 'must be null when withheld');
    if (d.outcome !== 'withhold' && d.recipient === null) issue('recipient', `is required when ${d.outcome}`);
    if (d.outcome === 'exception') {
      if (d.rule !== 'DA-EXCEPTION') issue('rule', 'must be DA-EXCEPTION for an exception');
      if (d.recipient !== null && !d.recipient.startsWith('exceptions:')) {
        issue('recipient', 'must be an exceptions inbox for an exception');
      }
      if (d.wouldShareUnder === null) issue('wouldShareUnder', 'is required for an exception');
      if (d.facts.identityException === null) issue('facts', 'identityException is required for an exception');
    } else {
      if (d.rule === 'DA-EXCEPTION') issue('rule', 'DA-EXCEPTION decisions must have outcome exception');
      if (d.wouldShareUnder !== null) issue('wouldShareUnder', 'must be null unless the outcome is exception');
      if (d.facts.identityException !== null) issue('facts', 'identityException must be null unless exception');
    }
    const incidentLevel = d.subjectRef === null;
    if (incidentLevel !== (d.rule === 'DA-MARAC')) {
      issue('subjectRef', 'must be null exactly for the incident-level DA-MARAC decision');
    }
    if (incidentLevel !== (d.facts.role === null) || incidentLevel !== (d.facts.isChild === null)) {
      issue('facts', 'role and isChild must be null exactly for the incident-level decision');
    }
    if (d.facts.effectiveRisk === 'high' && !d.facts.maracCriteriaMet) {
      issue('facts', 'maracCriteriaMet must be true when the effective risk is high');
    }
    if (d.rule === 'DA-MARAC' && d.recipient !== null && !d.recipient.startsWith('marac:')) {
      issue('recipient', 'must be a MARAC inbox for DA-MARAC');
    }
    if (d.rule !== 'DA-MARAC' && d.outcome === 'share' && d.recipient !== null && !d.recipient.startsWith('gp:')) {
      issue('recipient', 'must be a GP practice inbox for a subject share');
    }
  })
  .describe(
    'One IG decision. Also checked: lawfulBasis codes do not repeat; recipient is null exactly when withheld; ' +
      'outcome is exception exactly when rule is DA-EXCEPTION, and an exception goes to an exceptions inbox with ' +
      'wouldShareUnder and facts.identityException set (both null otherwise); subjectRef, facts.role and ' +
      'facts.isChild are null exactly for the incident-level DA-MARAC decision, whose recipient (if any) is a ' +
      'MARAC inbox; a subject share goes to a GP practice inbox; high effective risk implies maracCriteriaMet.',
  );
export type Decision = z.infer<typeof decision>;

/** The thresholds the policy applied for the incident's local authority (after any local override). */
export const appliedThresholds = z
  .object({
    highYesCount: z.int().min(1).max(24),
    mediumYesCount: z.int().min(1).max(24),
    maracRepeatThreshold: z.int().min(1).max(DA_LIMITS.repeatIncidents),
    adultAge: z.int().min(1).max(30),
  })
  .strict();
export type AppliedThresholds = z.infer<typeof appliedThresholds>;

/**
 * All decisions for one incident receipt, in a fixed order: one per subject in submission order, then the
 * incident-level DA-MARAC decision. Deterministic: the same receipt, identities and policy give the same set.
 */
export const decisionSet = z
  .object({
    receiptId,
    policyVersion,
    localAuthority: onsCode,
    thresholds: appliedThresholds,
    effectiveRisk: z.enum(DASH_LEVELS),
    maracCriteriaMet: z.boolean(),
    decisions: z.array(decision).min(1).max(DECISION_LIMITS.decisionsPerSet),
  })
  .strict()
  .superRefine((set, context) => {
    const ids = new Set<string>();
    const subjects = new Set<string>();
    let maracDecisions = 0;
    set.decisions.forEach((d, index) => {
      const issue = (message: string) => {
        context.addIssue({ code: 'custom', path: ['decisions', index], message });
      };
      if (d.receiptId !== set.receiptId) issue('receiptId differs from the set');
      if (d.policyVersion !== set.policyVersion) issue('policyVersion differs from the set');
      if (d.facts.effectiveRisk !== set.effectiveRisk) issue('facts.effectiveRisk differs from the set');
      if (d.facts.maracCriteriaMet !== set.maracCriteriaMet) issue('facts.maracCriteriaMet differs from the set');
      if (ids.has(d.decisionId)) issue('decisionId repeats');
      ids.add(d.decisionId);
      if (d.subjectRef === null) {
        maracDecisions += 1;
      } else {
        if (subjects.has(d.subjectRef)) issue('a subject has exactly one decision');
        subjects.add(d.subjectRef);
      }
      if (d.recipient !== null && !d.recipient.startsWith('gp:') && d.recipient.split(':')[1] !== set.localAuthority) {
        issue('an area inbox must be the incident local authority');
      }
    });
    if (maracDecisions !== 1) {
      context.addIssue({ code: 'custom', path: ['decisions'], message: 'must hold exactly one DA-MARAC decision' });
    }
  })
  .describe(
    "All decisions for one receipt. Also checked: every decision has the set's receiptId, policyVersion, " +
      'effectiveRisk and maracCriteriaMet; decision ids are unique; a subject has exactly one decision; exactly ' +
      "one DA-MARAC decision; area inboxes (marac, exceptions, la) are the incident's local authority.",
  );
export type DecisionSet = z.infer<typeof decisionSet>;
