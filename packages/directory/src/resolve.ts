import { isoDate, isoDateTime } from '@hub/contracts';
import type { IdentityExceptionReason, IncidentSubject, SubjectIdentity } from '@hub/contracts';
import type { DirectoryPatient, PatientDirectory, RegistrationPeriod } from './directory.ts';
import { normaliseName } from './normalise.ts';

/**
 * An inactive (superseded or deceased) record is never routed. By NHS number it is reported as
 * `inactive-record`; a trace whose one candidate is inactive is reported as `no-match`, so a trace never
 * discloses the state of a record the caller did not identify by number.
 */
const INACTIVE_RECORD: Readonly<Record<'byNhsNumber' | 'byTrace', IdentityExceptionReason>> = {
  byNhsNumber: 'inactive-record',
  byTrace: 'no-match',
};

/**
 * Matches one incident subject to a registered patient, as of `onDate` (the incident's date, YYYY-MM-DD; see
 * `incidentDate`). Never a guess: anything but exactly one consistent, active, unrestricted record with exactly
 * one practice valid on that date is an exception with its reason. The checks, in order:
 *
 * With an NHS number (no trace, whatever else is given):
 *   not in the directory -> nhs-number-not-found; birth date differs -> nhs-number-mismatch;
 *   inactive -> inactive-record (see INACTIVE_RECORD).
 * Without: no postcode -> insufficient-demographics (a trace needs family, given, birth date and postcode);
 *   trace finds none -> no-match; several -> multiple-matches; one inactive -> no-match.
 * Then: restricted -> restricted-record (before the practice: a restricted record has none to look at);
 *   no practice valid on onDate (from <= onDate <= to, open `to` = current) -> no-registered-practice.
 *
 * The mismatch check comes before inactive and restricted so that nothing about a record is disclosed (even
 * as a reason) unless the birth date given agrees with it.
 */
export async function resolveSubject(
  directory: PatientDirectory,
  subject: IncidentSubject,
  onDate: string,
): Promise<SubjectIdentity> {
  if (!isoDate.safeParse(onDate).success) throw new RangeError('onDate must be a date as YYYY-MM-DD');
  const exception = (reason: IdentityExceptionReason): SubjectIdentity => ({
    ref: subject.ref,
    outcome: 'exception',
    reason,
  });

  let patient: DirectoryPatient;
  let matchedBy: 'nhs-number' | 'demographic-trace';
  if (subject.nhsNumber !== undefined) {
    const found = await findExactly(directory, subject.nhsNumber);
    if (found === undefined) return exception('nhs-number-not-found');
    if (found.birthDate !== subject.birthDate) return exception('nhs-number-mismatch');
    if (!found.active) return exception(INACTIVE_RECORD.byNhsNumber);
    patient = found;
    matchedBy = 'nhs-number';
  } else {
    if (subject.postcode === undefined) return exception('insufficient-demographics');
    const query = {
      family: subject.name.family,
      given: subject.name.given,
      birthDate: subject.birthDate,
      postcode: subject.postcode,
    };
    const result = await directory.trace(query);
    switch (result.kind) {
      case 'none':
        return exception('no-match');
      case 'multiple':
        return exception('multiple-matches');
      case 'unique':
        break;
    }
    if (!agreesWith(result.patient, query)) {
      throw new Error('directory trace returned a record that does not agree with the query');
    }
    if (!result.patient.active) return exception(INACTIVE_RECORD.byTrace);
    patient = result.patient;
    matchedBy = 'demographic-trace';
  }

  if (patient.restricted) return exception('restricted-record');
  const practiceOds = registeredPracticeOn(patient.practices, onDate);
  if (practiceOds === undefined) return exception('no-registered-practice');
  return { ref: subject.ref, outcome: 'matched', nhsNumber: patient.nhsNumber, practiceOds, matchedBy };
}

/**
 * The record of exactly `nhsNumber`, or undefined. A directory that answers with another number (e.g. an adapter
 * that followed a superseded number to its successor) is a fault, never taken for the person asked about: throws.
 */
export async function findExactly(
  directory: Pick<PatientDirectory, 'findByNhsNumber'>,
  nhsNumber: string,
): Promise<DirectoryPatient | undefined> {
  const found = await directory.findByNhsNumber(nhsNumber);
  if (found !== undefined && found.nhsNumber !== nhsNumber) {
    throw new Error('directory returned a record for a different NHS number than requested');
  }
  return found;
}

/**
 * The practice a patient is registered with on `onDate`: periods with from <= onDate <= to (no `to`: open).
 * `undefined` when none is valid, and also when more than one practice is (a directory that allows overlapping
 * periods; the file-backed one refuses them): two candidate practices is not one registered practice.
 */
export function registeredPracticeOn(periods: readonly RegistrationPeriod[], onDate: string): string | undefined {
  const valid = new Set(
    periods
      .filter((period) => period.from <= onDate && (period.to === undefined || onDate <= period.to))
      .map((period) => period.ods),
  );
  const [only, ...others] = valid;
  return others.length === 0 ? only : undefined;
}

/** A directory bug must not become a wrong match: the trace's record must carry the names and date asked for. */
function agreesWith(patient: DirectoryPatient, query: { family: string; given: string; birthDate: string }): boolean {
  return (
    patient.birthDate === query.birthDate &&
    normaliseName(patient.name.family) === normaliseName(query.family) &&
    normaliseName(patient.name.given) === normaliseName(query.given)
  );
}

const ENGLAND_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * The calendar date in England of an ISO 8601 instant, e.g. an incident's `occurredAt`: 2026-06-30T23:30:00Z is
 * 00:30 BST on 2026-07-01. Registration periods are English calendar dates, so compare them with this, not with
 * the UTC date.
 */
export function incidentDate(occurredAt: string): string {
  if (!isoDateTime.safeParse(occurredAt).success) {
    throw new RangeError('occurredAt must be an ISO 8601 date-time with a zone');
  }
  const parts = ENGLAND_DATE.formatToParts(new Date(occurredAt));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
