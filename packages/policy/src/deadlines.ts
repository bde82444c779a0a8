import {
  addCalendarHours,
  addWorkingHours,
  englandAndWalesBankHolidays,
  workingHoursSchema,
  type BankHolidays,
} from '@hub/calendar';
import {
  CP_PAYLOAD_KINDS,
  DASH_LEVELS,
  DA_PAYLOAD_KINDS,
  DEADLINE_UNITS,
  ESCALATION_ACTIONS,
  FINAL_ACTIONS,
  onsCode,
  type DashLevel,
  type DeadlineUnit,
  type EscalationAction,
  type FinalAction,
  type IssuedDeadlines,
  type NotificationKind,
  type Recipient,
} from '@hub/contracts';
import { z } from 'zod';
import { closedSet } from './closed-set.ts';

/**
 * Delivery deadlines as policy data: per notification kind (and, for domestic abuse, the incident's effective risk)
 * a fetch deadline, an acknowledgement deadline and a final deadline, and what happens when each passes. The
 * `deadlines` section of both policy documents has this shape; `deadlinesFor` turns it into due instants.
 */

export const DEADLINE_LIMITS = {
  rules: 30,
  /** A deadline is at most 14 days of hours (336), in either unit. */
  hours: 336,
  escalationRecipients: 400,
  basisChars: 300,
} as const;

// Units and actions are declared once, in the contracts: the issued record carries them (`IssuedDeadlines`).
export { DEADLINE_UNITS, ESCALATION_ACTIONS, FINAL_ACTIONS };
export type { DeadlineUnit, EscalationAction, FinalAction };

/** Kinds addressed to an area's exceptions inbox: that inbox is where escalations go, so they cannot escalate. */
const ADDRESSED_TO_EXCEPTIONS: readonly NotificationKind[] = ['da-exception', 'cp-exception'];

const within = z
  .number()
  .positive()
  .max(DEADLINE_LIMITS.hours)
  .refine((hours) => Number.isInteger(hours * 60), 'must be whole minutes (e.g. 10.5 hours)');

function deadline<const T extends readonly [string, ...string[]]>(actions: T) {
  return z.object({ within, then: closedSet(actions, 'action') }).strict();
}

const ruleId = z
  .string()
  .max(40)
  .regex(/^DL-[A-Z0-9]+(-[A-Z0-9]+)*$/, 'must be a deadline rule id such as DL-DA-GP-HIGH');

const ruleBase = {
  id: ruleId,
  /** One unit for the rule's three deadlines, so their order holds in every week (see README). */
  unit: closedSet(DEADLINE_UNITS, 'deadline unit'),
  fetch: deadline(ESCALATION_ACTIONS),
  acknowledge: deadline(ESCALATION_ACTIONS),
  final: deadline(FINAL_ACTIONS),
  /** Why these times (the source they answer to). Not used by evaluation. */
  basis: z.string().trim().min(1).max(DEADLINE_LIMITS.basisChars).optional(),
};

const noRepeats = (list: readonly unknown[]) => new Set(list).size === list.length;

const daRule = z
  .object({
    ...ruleBase,
    kinds: z
      .array(closedSet(DA_PAYLOAD_KINDS, 'domestic-abuse notification kind'))
      .min(1)
      .max(DA_PAYLOAD_KINDS.length)
      .refine(noRepeats, 'repeats a kind'),
    /** The incident's effective risk; every risk when absent. */
    risks: z
      .array(closedSet(DASH_LEVELS, 'risk level'))
      .min(1)
      .max(DASH_LEVELS.length)
      .refine(noRepeats, 'repeats a risk level')
      .optional(),
  })
  .strict();

/** Child-protection notifications carry no risk level: a rule is per kind only. */
const cpRule = z
  .object({
    ...ruleBase,
    kinds: z
      .array(closedSet(CP_PAYLOAD_KINDS, 'child-protection notification kind'))
      .min(1)
      .max(CP_PAYLOAD_KINDS.length)
      .refine(noRepeats, 'repeats a kind'),
  })
  .strict();

/** Who an area's overdue notifications escalate to instead of its exceptions inbox: a safeguarding team's inbox. */
const escalationRecipient = z
  .string()
  .regex(/^(exceptions|la):[EWSN]\d{8}$/, 'must be exceptions:<ONS code> or la:<ONS code>');

function section<R extends z.ZodType>(rule: R) {
  return z
    .object({
      workingHours: workingHoursSchema,
      escalationRecipients: z
        .record(onsCode, escalationRecipient)
        .refine((areas) => Object.keys(areas).length <= DEADLINE_LIMITS.escalationRecipients, {
          message: `at most ${String(DEADLINE_LIMITS.escalationRecipients)} areas`,
        }),
      /** In evaluation order: the first rule that takes a notification sets its deadlines. */
      rules: z.array(rule).min(1).max(DEADLINE_LIMITS.rules),
    })
    .strict();
}

export const daDeadlinesSection = section(daRule);
export const cpDeadlinesSection = section(cpRule);

export type DeadlineRule = z.output<typeof daRule> | z.output<typeof cpRule>;
export type DeadlinesDocument = z.output<typeof daDeadlinesSection> | z.output<typeof cpDeadlinesSection>;

/** A loaded policy's deadlines, with the version of the policy they belong to. */
export interface DeadlinePolicy {
  readonly policyVersion: string;
  readonly document: DeadlinesDocument;
}

/** The notification a deadline is for: its kind, the incident's effective risk (domestic abuse), area, recipient. */
export type DeadlineFacts =
  | {
      readonly kind: (typeof DA_PAYLOAD_KINDS)[number];
      readonly risk: DashLevel;
      readonly area: string;
      readonly recipient: Recipient;
    }
  | {
      readonly kind: (typeof CP_PAYLOAD_KINDS)[number];
      readonly area: string;
      readonly recipient: Recipient;
    };

/** A problem in a `deadlines` section; the path starts at the document. */
export interface DeadlineProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

interface Case {
  readonly kind: NotificationKind;
  readonly risk: DashLevel | null;
}

function applies(rule: DeadlineRule, kase: Case): boolean {
  const kinds: readonly string[] = rule.kinds;
  if (!kinds.includes(kase.kind)) return false;
  if (!('risks' in rule) || rule.risks === undefined) return true;
  const risks: readonly DashLevel[] = rule.risks;
  return kase.risk !== null && risks.includes(kase.risk);
}

function firstRule(document: DeadlinesDocument, kase: Case): DeadlineRule | undefined {
  const rules: readonly DeadlineRule[] = document.rules;
  return rules.find((rule) => applies(rule, kase));
}

/**
 * The semantics zod cannot check: rule ids once; fetch <= acknowledge <= final; no escalation for kinds addressed
 * to the exceptions inbox; every kind (x every risk, for domestic abuse) taken by a rule; no rule shadowed.
 */
export function deadlineProblems(
  document: DeadlinesDocument,
  family: 'domestic-abuse' | 'child-protection',
): DeadlineProblem[] {
  const problems: DeadlineProblem[] = [];
  const at = (path: (string | number)[], message: string) => {
    problems.push({ path: ['deadlines', ...path], message });
  };
  const rules: readonly DeadlineRule[] = document.rules;
  const seen = new Map<string, number>();
  rules.forEach((rule, index) => {
    const earlier = seen.get(rule.id);
    if (earlier !== undefined)
      at(['rules', index, 'id'], `rule ${rule.id} appears more than once (also rules[${String(earlier)}])`);
    else seen.set(rule.id, index);
    if (rule.acknowledge.within < rule.fetch.within) {
      at(
        ['rules', index, 'acknowledge', 'within'],
        `must not be before the fetch deadline (${String(rule.fetch.within)} ${rule.unit})`,
      );
    }
    if (rule.final.within < rule.acknowledge.within) {
      at(
        ['rules', index, 'final', 'within'],
        `must not be before the acknowledgement deadline (${String(rule.acknowledge.within)} ${rule.unit})`,
      );
    }
    const kinds: readonly NotificationKind[] = rule.kinds;
    const selfEscalating = kinds.filter((kind) => ADDRESSED_TO_EXCEPTIONS.includes(kind));
    for (const step of ['fetch', 'acknowledge'] as const) {
      if (rule[step].then === 'escalate' && selfEscalating.length > 0) {
        at(
          ['rules', index, step, 'then'],
          `${selfEscalating.join(', ')} is addressed to the area's exceptions inbox, where escalations go: use record-only`,
        );
      }
    }
  });

  const cases: Case[] =
    family === 'domestic-abuse'
      ? DA_PAYLOAD_KINDS.flatMap((kind) => DASH_LEVELS.map((risk) => ({ kind, risk })))
      : CP_PAYLOAD_KINDS.map((kind) => ({ kind, risk: null }));
  const used = new Set<DeadlineRule>();
  for (const kase of cases) {
    const rule = firstRule(document, kase);
    if (rule === undefined) {
      at(['rules'], `no rule sets the deadlines of ${kase.kind}${kase.risk === null ? '' : ` at ${kase.risk} risk`}`);
    } else {
      used.add(rule);
    }
  }
  rules.forEach((rule, index) => {
    if (!used.has(rule))
      at(['rules', index], `rule ${rule.id} never applies: earlier rules take every notification it names`);
  });
  return problems;
}

export interface DueEscalation {
  /** When the deadline passes (ISO 8601, UTC). */
  readonly due: string;
  readonly within: number;
  readonly then: EscalationAction;
  /** Whom an `escalate` tells: the area's named escalation recipient, else its exceptions inbox; null for record-only. */
  readonly escalateTo: Recipient | null;
}

export interface DueFinal {
  readonly due: string;
  readonly within: number;
  readonly then: FinalAction;
}

/** A notification's deadlines, with what set them: the rule, the policy version and the bank-holiday data. */
export interface DeliveryDeadlines {
  readonly rule: string;
  readonly policyVersion: string;
  readonly unit: DeadlineUnit;
  readonly issuedAt: string;
  /** Met by a fetch (or an acknowledgement); when it passes unmet: `then`. */
  readonly fetch: DueEscalation;
  /** Met by an acknowledgement. */
  readonly acknowledge: DueEscalation;
  /** Met by an acknowledgement; when it passes unmet: a non-delivery report to the sender (or record-only). */
  readonly final: DueFinal;
  /** The bank-holiday data working hours were counted with (its source and when it was taken). */
  readonly bankHolidays: { readonly source: string; readonly takenOn: string };
}

/** No deadline rule of the policy takes the notification (a kind of the other family, or no risk given). */
export class NoDeadlineRuleError extends Error {
  override readonly name = 'NoDeadlineRuleError';
  readonly code = 'no-deadline-rule';
}

/**
 * The concrete deadlines of a notification issued at `issuedAt`, under `policy`'s deadline rules (the first rule
 * that takes the notification's kind and risk). Working hours are counted with `holidays` (the shipped England and
 * Wales bank holidays by default); a deadline beyond that data throws `CalendarOutOfRangeError`. Pure and
 * deterministic: the same arguments always give the same answer.
 */
export function deadlinesFor(
  policy: { readonly deadlines: DeadlinePolicy },
  facts: DeadlineFacts,
  issuedAt: Date,
  holidays: BankHolidays = englandAndWalesBankHolidays(),
): DeliveryDeadlines {
  const { document, policyVersion } = policy.deadlines;
  if (!onsCode.safeParse(facts.area).success) throw new RangeError('area must be an ONS code such as E06000066');
  if (Number.isNaN(issuedAt.getTime())) throw new RangeError('issuedAt must be a valid date');
  const risk = 'risk' in facts ? facts.risk : null;
  const rule = firstRule(document, { kind: facts.kind, risk });
  if (rule === undefined) {
    throw new NoDeadlineRuleError(`policy ${policyVersion} has no deadline rule for ${facts.kind}`);
  }
  const calendar = { hours: document.workingHours, holidays };
  const dueAfter = (hours: number) =>
    (rule.unit === 'working-hours'
      ? addWorkingHours(issuedAt, hours, calendar)
      : addCalendarHours(issuedAt, hours)
    ).toISOString();
  const named: Readonly<Record<string, string>> = document.escalationRecipients;
  const escalationPoint =
    (Object.hasOwn(named, facts.area) ? named[facts.area] : undefined) ?? `exceptions:${facts.area}`;
  const escalation = (step: 'fetch' | 'acknowledge'): DueEscalation => {
    // Escalating to the inbox that is late tells nobody new: recorded only.
    const escalates = rule[step].then === 'escalate' && escalationPoint !== facts.recipient;
    return {
      due: dueAfter(rule[step].within),
      within: rule[step].within,
      then: escalates ? 'escalate' : 'record-only',
      escalateTo: escalates ? escalationPoint : null,
    };
  };
  return {
    rule: rule.id,
    policyVersion,
    unit: rule.unit,
    issuedAt: issuedAt.toISOString(),
    fetch: escalation('fetch'),
    acknowledge: escalation('acknowledge'),
    final: { due: dueAfter(rule.final.within), within: rule.final.within, then: rule.final.then },
    bankHolidays: { source: holidays.source, takenOn: holidays.takenOn },
  };
}

/**
 * The deadlines as the issued record carries them (`IssuedNotification.deadlines`): `deadlinesFor`'s answer without
 * `issuedAt` (the record has it), with the sender's own inbox for a non-delivery report (null: none).
 */
export function issuedDeadlinesOf(
  deadlines: DeliveryDeadlines,
  reportTo: IssuedDeadlines['reportTo'],
): IssuedDeadlines {
  const { issuedAt: _issuedAt, ...rest } = deadlines;
  return { ...rest, reportTo };
}
