import type { AppliedThresholds, DaIncidentSubmission, DashLevel, MaracCriterion, SubjectRole } from '@hub/contracts';

/**
 * The facts the policy decides on, computed from a submission and the thresholds that apply in its local
 * authority. Pure functions; dates are compared as calendar dates, never through the clock or a time zone.
 */

export type Thresholds = AppliedThresholds;

const RANK: Readonly<Record<DashLevel, number>> = { standard: 0, medium: 1, high: 2 };

export function higherRisk(a: DashLevel, b: DashLevel): DashLevel {
  return RANK[b] > RANK[a] ? b : a;
}

/** The level a DASH "yes" count alone indicates: >= highYesCount high, >= mediumYesCount medium, else standard. */
export function riskFromYesCount(yesCount: number | undefined, thresholds: Thresholds): DashLevel {
  if (yesCount === undefined) return 'standard';
  if (yesCount >= thresholds.highYesCount) return 'high';
  if (yesCount >= thresholds.mediumYesCount) return 'medium';
  return 'standard';
}

/**
 * The highest of: the level the officer gave, the level the yes count indicates, and `high` when professional
 * judgement is set. Judgement and the count only ever raise the level (SafeLives: judgement raises, never lowers).
 */
export function effectiveRiskOf(dash: DaIncidentSubmission['dash'], thresholds: Thresholds): DashLevel {
  const fromJudgement: DashLevel = dash.professionalJudgement === true ? 'high' : 'standard';
  return higherRisk(higherRisk(dash.level, riskFromYesCount(dash.yesCount, thresholds)), fromJudgement);
}

export interface MaracAssessment {
  readonly met: boolean;
  /** Which criteria hold, in a fixed order. */
  readonly criteria: readonly MaracCriterion[];
}

/** MARAC criteria: effective risk high, or at least `maracRepeatThreshold` incidents in the last 12 months. */
export function maracCriteriaOf(
  effectiveRisk: DashLevel,
  repeatIncidentsLast12Months: number,
  thresholds: Thresholds,
): MaracAssessment {
  const criteria: MaracCriterion[] = [];
  if (effectiveRisk === 'high') criteria.push('high-risk');
  if (repeatIncidentsLast12Months >= thresholds.maracRepeatThreshold) criteria.push('repeat-incidents');
  return { met: criteria.length > 0, criteria };
}

/** The incident's calendar date as the police wrote it (`occurredAt`'s date part, in its own offset). */
export function incidentDateOf(occurredAt: string): string {
  return occurredAt.slice(0, 10);
}

/**
 * Completed years between two `YYYY-MM-DD` dates. A birthday is reached on its month and day; someone born on
 * 29 February reaches it on 1 March in a non-leap year (the date is compared, so 28 February is still before it).
 */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [oy, om, od] = onDate.split('-').map(Number) as [number, number, number];
  const beforeBirthday = om < bm || (om === bm && od < bd);
  return oy - by - (beforeBirthday ? 1 : 0);
}

/** A child: under the adult age on the incident date, or given the role `child` whatever the birth date says. */
export function isChildOn(
  subject: { readonly role: SubjectRole; readonly birthDate: string },
  incidentDate: string,
  adultAge: number,
): boolean {
  return subject.role === 'child' || ageOn(subject.birthDate, incidentDate) < adultAge;
}
