import { z } from 'zod';
import { nhsNumber, odsCode } from './identifiers.ts';

/**
 * The outcome of matching one incident subject to a registered patient. Never a guess: anything but exactly one
 * consistent, unrestricted record with a current registered practice is an exception with its reason.
 */
export const IDENTITY_EXCEPTION_REASONS = [
  /** The NHS number given is not in the directory. */
  'nhs-number-not-found',
  /** The NHS number given is known, but its date of birth differs from the one given. */
  'nhs-number-mismatch',
  /** The NHS number is known but inactive (superseded or deceased): never routed. */
  'inactive-record',
  /** No NHS number and no postcode: a realistic trace needs family name, given name, birth date and postcode. */
  'insufficient-demographics',
  /** No NHS number given, and the demographic trace found nobody. */
  'no-match',
  /** No NHS number given, and the demographic trace found more than one candidate. */
  'multiple-matches',
  /** A restricted ("S-flag") record: no address or GP may be used, so the hub cannot route. */
  'restricted-record',
  /** Matched, but with no registered practice valid on the incident date. */
  'no-registered-practice',
] as const;
export type IdentityExceptionReason = (typeof IDENTITY_EXCEPTION_REASONS)[number];

export const MATCH_METHODS = ['nhs-number', 'demographic-trace'] as const;

const subjectRef = z.string().min(1).max(32);

export const subjectIdentity = z.discriminatedUnion('outcome', [
  z
    .object({
      ref: subjectRef,
      outcome: z.literal('matched'),
      nhsNumber,
      /** The practice the patient is registered with on the incident date. */
      practiceOds: odsCode,
      matchedBy: z.enum(MATCH_METHODS),
    })
    .strict(),
  z
    .object({
      ref: subjectRef,
      outcome: z.literal('exception'),
      reason: z.enum(IDENTITY_EXCEPTION_REASONS),
    })
    .strict(),
]);
export type SubjectIdentity = z.infer<typeof subjectIdentity>;
