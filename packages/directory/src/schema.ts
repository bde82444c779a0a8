import { isoDate, nhsNumber, odsCode, onsCode, postcode } from '@hub/contracts';
import { z } from 'zod';

/**
 * The reference-data files: what one record of each file may hold. Every list and string is bounded; unknown
 * fields are refused (`.strict()`), so a misspelt field fails the load instead of being silently ignored.
 * Messages say what is expected, never what was given: the values are personal data.
 */
export const DIRECTORY_LIMITS = {
  patients: 500_000,
  practices: 20_000,
  localAuthorities: 500,
  /** Registration periods per patient (a lifetime of moves is a handful; 50 is already generous). */
  registrationsPerPatient: 50,
  nameChars: 100,
  organisationNameChars: 200,
  /** Largest file read; 500,000 patients at ~300 bytes each is ~150 MB. */
  fileBytes: 256 * 1024 * 1024,
  /** Most problems kept on a `DirectoryLoadError`; the count of the rest is still reported. */
  reportedProblems: 500,
} as const;

const personNamePart = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(DIRECTORY_LIMITS.nameChars, `must be at most ${DIRECTORY_LIMITS.nameChars} characters`)
  .refine((value) => /\p{L}/u.test(value), 'must contain a letter');

const organisationName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(DIRECTORY_LIMITS.organisationNameChars, `must be at most ${DIRECTORY_LIMITS.organisationNameChars} characters`);

/** Cross-field checks run only on a value whose fields are all valid (zod would otherwise run them anyway). */
const whenFieldsValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

const phoneNumber = z.string().regex(/^\+?[0-9 ]{6,20}$/, 'must be a telephone number: 6 to 20 digits or spaces');

/** One GP registration: valid from `from` to `to` inclusive; no `to` means open-ended (current). */
export const registrationPeriodRecord = z
  .object({
    ods: odsCode,
    from: isoDate,
    to: isoDate.optional(),
  })
  .strict()
  .refine((period) => period.to === undefined || period.from <= period.to, {
    path: ['to'],
    message: 'must not be before from',
    ...whenFieldsValid,
  });

/** PDS's administrative genders (FHIR `Patient.gender`). */
export const PATIENT_GENDERS = ['male', 'female', 'other', 'unknown'] as const;
export type PatientGender = (typeof PATIENT_GENDERS)[number];

export const patientRecord = z
  .object({
    nhsNumber,
    name: z.object({ given: personNamePart, family: personNamePart }).strict(),
    birthDate: isoDate,
    /** PDS administrative gender; absent when not known (read as `unknown`). */
    gender: z.enum(PATIENT_GENDERS).optional(),
    /** Absent when the address is not known (no fixed abode). A trace never matches a record without one. */
    postcode: postcode.optional(),
    /** Registration history. A restricted record may hold it here; the directory never returns it. */
    practices: z
      .array(registrationPeriodRecord)
      .max(
        DIRECTORY_LIMITS.registrationsPerPatient,
        `must have at most ${DIRECTORY_LIMITS.registrationsPerPatient} periods`,
      ),
    /** S-flag: returned without postcode and practices, and never routed. */
    restricted: z.boolean(),
    /** false for a superseded or deceased NHS number. */
    active: z.boolean(),
  })
  .strict()
  .superRefine((patient, context) => {
    patient.practices.forEach((period, index) => {
      if (period.from < patient.birthDate) {
        context.addIssue({
          code: 'custom',
          path: ['practices', index, 'from'],
          message: 'must not be before birthDate',
        });
      }
    });
    // Periods must not overlap, so at most one practice is valid on any date. Each period is compared with the
    // furthest-reaching earlier one, so every overlapping period is reported, not only neighbours.
    const ordered = patient.practices.map((period, index) => ({ period, index })).sort(byFrom);
    let reach: { to: string | undefined; index: number } | undefined;
    for (const { period, index } of ordered) {
      if (reach !== undefined && (reach.to === undefined || reach.to >= period.from)) {
        context.addIssue({
          code: 'custom',
          path: ['practices', index, 'from'],
          message: `overlaps registration period ${reach.index}`,
        });
      }
      if (reach === undefined || (reach.to !== undefined && (period.to === undefined || period.to > reach.to))) {
        reach = { to: period.to, index };
      }
    }
  }, whenFieldsValid);
export type PatientRecord = z.output<typeof patientRecord>;

function byFrom(a: { period: { from: string }; index: number }, b: { period: { from: string }; index: number }) {
  return a.period.from < b.period.from ? -1 : a.period.from > b.period.from ? 1 : a.index - b.index;
}

export const practiceRecord = z
  .object({
    ods: odsCode,
    name: organisationName,
    postcode,
    /** ONS code of the local authority the practice is in; must be in the local-authorities file. */
    localAuthority: onsCode,
  })
  .strict();
export type PracticeRecord = z.output<typeof practiceRecord>;

export const localAuthorityRecord = z
  .object({
    ons: onsCode,
    name: organisationName,
    /** Children's social care, office hours (CP-IS shares both numbers with every flag). */
    officeHoursPhone: phoneNumber,
    /** The emergency duty team, out of hours. */
    outOfHoursPhone: phoneNumber,
  })
  .strict();
export type LocalAuthorityRecord = z.output<typeof localAuthorityRecord>;
