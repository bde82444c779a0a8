import type { DashLevel, IdentityExceptionReason, RuleId, SubjectRole, VictimConsent } from '@hub/contracts';

/**
 * Reason templates: policy text with `{placeholder}`s from a closed set. Every placeholder renders a role, a level,
 * a consent state, a yes/no or a count, so a decision's reason can never carry a name, a number, a date or free
 * text from the incident.
 */

export const REASON_PLACEHOLDERS = [
  'role',
  'ageGroup',
  'effectiveRisk',
  'consent',
  'involvesChild',
  'maracCriteriaMet',
  'maracCriteria',
  'pendingRule',
  'identityReason',
] as const;
export type ReasonPlaceholder = (typeof REASON_PLACEHOLDERS)[number];

/** Placeholders that only make sense for some rule scopes. */
export const SUBJECT_PLACEHOLDERS: readonly ReasonPlaceholder[] = ['role', 'ageGroup'];
export const EXCEPTION_PLACEHOLDERS: readonly ReasonPlaceholder[] = ['pendingRule', 'identityReason'];

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The placeholders a template uses, and any text in braces that is not one. */
export function templatePlaceholders(template: string): { known: ReasonPlaceholder[]; unknown: string[] } {
  const known: ReasonPlaceholder[] = [];
  const unknown: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if ((REASON_PLACEHOLDERS as readonly string[]).includes(name)) known.push(name as ReasonPlaceholder);
    else unknown.push(name);
  }
  return { known, unknown };
}

export interface ReasonValues {
  readonly role: SubjectRole | null;
  readonly isChild: boolean | null;
  readonly effectiveRisk: DashLevel;
  readonly consent: VictimConsent;
  readonly involvesChild: boolean;
  readonly maracCriteriaMet: boolean;
  readonly repeatIncidentsLast12Months: number;
  readonly maracRepeatThreshold: number;
  readonly pendingRule: RuleId | null;
  readonly identityReason: IdentityExceptionReason | null;
}

const ROLE_TEXT: Readonly<Record<SubjectRole, string>> = {
  victim: 'victim',
  perpetrator: 'perpetrator',
  child: 'child',
  'other-adult': 'other adult',
};
const CONSENT_TEXT: Readonly<Record<VictimConsent, string>> = {
  given: 'given',
  refused: 'refused',
  'not-sought': 'not sought',
};

function render(name: ReasonPlaceholder, values: ReasonValues): string {
  switch (name) {
    case 'role':
      return values.role === null ? 'incident' : ROLE_TEXT[values.role];
    case 'ageGroup':
      return values.isChild === null ? 'incident' : values.isChild ? 'child' : 'adult';
    case 'effectiveRisk':
      return values.effectiveRisk;
    case 'consent':
      return CONSENT_TEXT[values.consent];
    case 'involvesChild':
      return values.involvesChild ? 'child involved' : 'no child involved';
    case 'maracCriteriaMet':
      return values.maracCriteriaMet ? 'MARAC criteria met' : 'MARAC criteria not met';
    case 'maracCriteria':
      return (
        `effective risk ${values.effectiveRisk}; incidents in the last 12 months: ` +
        `${values.repeatIncidentsLast12Months}, threshold ${values.maracRepeatThreshold}`
      );
    case 'pendingRule':
      return values.pendingRule ?? 'none';
    case 'identityReason':
      return values.identityReason ?? 'none';
  }
}

/** The longest text each placeholder can render to (a count is at most 4 digits: DA_LIMITS.repeatIncidents). */
const LONGEST: Readonly<Record<ReasonPlaceholder, number>> = {
  role: 'perpetrator'.length,
  ageGroup: 'incident'.length,
  effectiveRisk: 'standard'.length,
  consent: 'not sought'.length,
  involvesChild: 'no child involved'.length,
  maracCriteriaMet: 'MARAC criteria not met'.length,
  maracCriteria: 'effective risk standard; incidents in the last 12 months: 1000, threshold 1000'.length,
  pendingRule: 'DA-VICTIM-STANDARD'.length,
  identityReason: 'no-registered-practice'.length,
};

/** The longest reason a template can render to, so that `loadPolicy` can hold it to the decision's limit. */
export function longestRendering(template: string): number {
  return template.replace(PLACEHOLDER, (_whole, name: string) =>
    'x'.repeat(
      (REASON_PLACEHOLDERS as readonly string[]).includes(name) ? LONGEST[name as ReasonPlaceholder] : name.length + 2,
    ),
  ).length;
}

/** Fills a template that `loadPolicy` accepted (every placeholder known). */
export function renderReason(template: string, values: ReasonValues): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => render(name as ReasonPlaceholder, values));
}
