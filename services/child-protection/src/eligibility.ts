import type { CpRefusalReason, FgmRefusalReason } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { findExactly, type DirectoryPatient, type PatientDirectory } from '@hub/directory';
import { isUnderChildAgeLimit, type ChildProtectionPolicy } from '@hub/policy';

export type Eligibility =
  | { readonly eligible: true; readonly patient: DirectoryPatient }
  | { readonly eligible: false; readonly reason: CpRefusalReason };

/**
 * Whether an NHS number may carry a flag, checked against the directory in this order: known
 * (`nhs-number-not-found`), active (`inactive-record`), and, when `childOn` is given, under the policy's child age
 * limit on that date (`not-a-child`). A restricted record is eligible: it is flagged like any other, and only its
 * routing differs (that is the notifier's business).
 */
export async function checkEligibility(
  directory: Pick<PatientDirectory, 'findByNhsNumber'>,
  policy: ChildProtectionPolicy,
  nhsNumber: string,
  childOn: string | undefined,
): Promise<Eligibility> {
  const patient = await findExactly(directory, nhsNumber);
  if (patient === undefined) return { eligible: false, reason: 'nhs-number-not-found' };
  if (!patient.active) return { eligible: false, reason: 'inactive-record' };
  if (childOn !== undefined && !isUnderChildAgeLimit(policy, patient.birthDate, childOn)) {
    return { eligible: false, reason: 'not-a-child' };
  }
  return { eligible: true, patient };
}

/**
 * As checkEligibility (child on `childOn`), for an FGM indicator: also `not-female` for a person the directory
 * records as male, as FGM-IS is for girls. A gender recorded as other or unknown, or none, is the clinician's call.
 */
export async function checkFgmEligibility(
  directory: Pick<PatientDirectory, 'findByNhsNumber'>,
  policy: ChildProtectionPolicy,
  nhsNumber: string,
  childOn: string,
): Promise<
  | { readonly eligible: true; readonly patient: DirectoryPatient }
  | { readonly eligible: false; readonly reason: FgmRefusalReason }
> {
  const eligibility = await checkEligibility(directory, policy, nhsNumber, childOn);
  if (eligibility.eligible && eligibility.patient.gender === 'male') return { eligible: false, reason: 'not-female' };
  return eligibility;
}

/** The field error of a refusal: which rule failed, never the value. */
export const REFUSAL_DETAIL: Readonly<Record<FgmRefusalReason, string>> = {
  'nhs-number-not-found': 'is not known to the patient directory',
  'inactive-record': 'belongs to an inactive record (superseded or deceased)',
  'not-a-child': 'belongs to a person who is not under 18 on the date checked',
  'not-female': 'belongs to a person the patient directory records as male',
};

/** The 422 for a record refused on its NHS number: a stable `reason` and the field, never the value. */
export function refusedOnNhsNumber(detail: string, reason: FgmRefusalReason): HubError {
  return new HubError('unprocessable', detail, {
    errors: [{ pointer: '/body/nhsNumber', detail: REFUSAL_DETAIL[reason] }],
    reason,
  });
}
