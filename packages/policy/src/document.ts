import { z } from 'zod';
import {
  DA_LIMITS,
  LAWFUL_BASIS_CODES,
  RULE_IDS,
  SUBJECT_ROLES,
  WITHDRAWAL_REASONS,
  onsCode,
  policyVersion,
} from '@hub/contracts';
import { closedSet } from './closed-set.ts';
import { daDeadlinesSection } from './deadlines.ts';
import { parseCondition, type Condition, type Problem } from './conditions.ts';

/**
 * The policy document format: what a `policies/*.json` file holds. Every object is `.strict()`, so a misspelt key
 * is refused rather than ignored. Semantic checks (coverage, reachability, templates) are in `load.ts`.
 */

export const POLICY_LIMITS = {
  rules: 20,
  localAuthorities: 400,
  templateChars: 300,
  practiceRequestChars: 1_000,
  /** A withdrawal request as rendered (its `{withdraws}` placeholders replaced by the notification id). */
  withdrawalRequestChars: 1_000,
  noteChars: 300,
} as const;

export const thresholdsSchema = z
  .object({
    /** DASH "yes" answers at or above which the risk is high (SafeLives: 14). */
    highYesCount: z.int().min(1).max(24),
    /** DASH "yes" answers at or above which the risk is at least medium (SafeLives: 10). */
    mediumYesCount: z.int().min(1).max(24),
    /** Incidents in the last 12 months at or above which the MARAC criteria are met (commonly 3; some areas 5). */
    maracRepeatThreshold: z.int().min(1).max(DA_LIMITS.repeatIncidents),
    /** Age on the incident date from which a subject is an adult (18). */
    adultAge: z.int().min(16).max(25),
  })
  .strict();

export const localAuthorityOverride = z
  .object({
    /** Why the area differs (who agreed it, when). Not used by evaluation. */
    note: z.string().min(1).max(POLICY_LIMITS.noteChars).optional(),
    thresholds: thresholdsSchema.partial().strict(),
  })
  .strict();

/** A condition, checked by the condition language's own parser so that its messages name the problem exactly. */
const condition = z.unknown().transform((value, context): Condition => {
  const problems: Problem[] = [];
  const parsed = parseCondition(value, [], problems);
  for (const problem of problems) {
    context.addIssue({ code: 'custom', message: problem.message, path: [...problem.path], input: value });
  }
  return parsed ?? z.NEVER;
});

const outcome = closedSet(['share', 'withhold'], 'outcome');
const template = z.string().trim().min(1).max(POLICY_LIMITS.templateChars);
const practiceText = z.string().trim().min(1).max(POLICY_LIMITS.practiceRequestChars);
const lawfulBasis = z.array(closedSet(LAWFUL_BASIS_CODES, 'lawful basis')).min(1).max(LAWFUL_BASIS_CODES.length);
const ruleId = closedSet(RULE_IDS, 'rule id');
const role = closedSet(SUBJECT_ROLES, 'subject role');

export const subjectRuleSchema = z
  .object({
    id: ruleId,
    scope: z.literal('subject'),
    /** Which subjects the rule is about: any of `roles` (all roles when absent), child or adult (either when absent). */
    who: z
      .object({
        roles: z.array(role).min(1).max(SUBJECT_ROLES.length).optional(),
        child: z.boolean().optional(),
      })
      .strict(),
    /** Further applicability over facts; the rule applies only when it holds (always when absent). */
    appliesWhen: condition.optional(),
    /** Chooses between `then` (holds) and `otherwise` (does not); absent: always `then`. */
    when: condition.optional(),
    then: outcome,
    otherwise: outcome.optional(),
    recipient: closedSet(['subject-practice', 'none'], 'recipient for a subject rule'),
    lawfulBasis,
    reason: z.object({ then: template, otherwise: template.optional() }).strict(),
    /** What the practice is asked to do; `byRole` overrides the default for a subject role. */
    practiceRequest: z
      .object({ default: practiceText, byRole: z.partialRecord(role, practiceText).optional() })
      .strict()
      .optional(),
  })
  .strict();

export const incidentRuleSchema = z
  .object({
    id: ruleId,
    scope: z.literal('incident'),
    when: condition.optional(),
    then: outcome,
    otherwise: outcome.optional(),
    recipient: closedSet(['marac', 'none'], 'recipient for an incident rule'),
    lawfulBasis,
    reason: z.object({ then: template, otherwise: template.optional() }).strict(),
  })
  .strict();

/** Applied to a subject whose rule decided `share` but who could not be matched (identity outcome `exception`). */
export const exceptionRuleSchema = z
  .object({
    id: ruleId,
    scope: z.literal('unmatched-share'),
    recipient: z.literal('area-exceptions'),
    lawfulBasis,
    reason: z.object({ then: template }).strict(),
  })
  .strict();

export const ruleSchema = z.discriminatedUnion('scope', [subjectRuleSchema, incidentRuleSchema, exceptionRuleSchema]);

/**
 * What a recipient is told when an amendment of an incident no longer sends it anything for a notification it was
 * sent (a `da-withdrawal`): per withdrawal reason, with a default. `{withdraws}` is replaced by the withdrawn
 * notification's id; no other placeholder is allowed.
 */
export const withdrawalSchema = z
  .object({
    request: z
      .object({
        default: practiceText,
        byReason: z.partialRecord(closedSet(WITHDRAWAL_REASONS, 'withdrawal reason'), practiceText).optional(),
      })
      .strict(),
  })
  .strict();

export const policyDocument = z
  .object({
    policy: z.literal('domestic-abuse'),
    /** A changed policy is a new version; every decision records the version it was made under. */
    version: policyVersion,
    title: z.string().trim().min(1).max(200),
    thresholds: thresholdsSchema,
    /** Per local authority (ONS code): thresholds that differ from the defaults. */
    localAuthorities: z.record(onsCode, localAuthorityOverride),
    /** In evaluation order (see README "Evaluation"). */
    rules: z.array(ruleSchema).min(1).max(POLICY_LIMITS.rules),
    /**
     * Withdrawal wording. Optional only so that `da-2026.11.1` (which predates withdrawals) stays loadable and
     * explainable; the dispatcher refuses a policy without it.
     */
    withdrawal: withdrawalSchema.optional(),
    /**
     * Delivery deadlines per notification kind and risk (`deadlines.ts`). Required: a policy without them would
     * leave an unread notification unnoticed, so `da-2026.11.1` and `da-2026.11.2` no longer load.
     */
    deadlines: daDeadlinesSection,
  })
  .strict()
  .refine((document) => Object.keys(document.localAuthorities).length <= POLICY_LIMITS.localAuthorities, {
    path: ['localAuthorities'],
    message: `at most ${POLICY_LIMITS.localAuthorities} local authorities`,
  });

export type PolicyDocument = z.output<typeof policyDocument>;
export type SubjectRule = z.output<typeof subjectRuleSchema>;
export type IncidentRule = z.output<typeof incidentRuleSchema>;
export type ExceptionRule = z.output<typeof exceptionRuleSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type WithdrawalDocument = z.output<typeof withdrawalSchema>;
export type LocalAuthorityOverride = z.output<typeof localAuthorityOverride>;
export type ThresholdsDocument = z.output<typeof thresholdsSchema>;
