import { z } from 'zod';

/**
 * Identifiers the hub routes on. Each is validated strictly: a wrong identifier routes a safeguarding
 * notification to the wrong place. Sources: ../shared/domain.md "Identifiers and directories".
 */

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

/**
 * NHS number modulus 11: weights 10..2 on digits 1-9; check = 11 - (sum mod 11); 11 becomes 0; 10 is invalid.
 */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(value[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(value[9]);
}

/** Numbers starting 999 are reserved for test data; the synthetic seed uses only these. */
export function isTestNhsNumber(value: string): boolean {
  return value.startsWith('999');
}

export const nhsNumber = z
  .string()
  .regex(/^\d{10}$/, 'must be 10 digits with no spaces')
  .refine(isValidNhsNumber, 'is not a valid NHS number (check digit)')
  .describe(
    'NHS number: 10 digits, no spaces. The 10th is a modulus 11 check digit: weights 10 to 2 on digits 1 to 9, ' +
      'check = 11 - (sum mod 11), 11 becomes 0, and a number whose check would be 10 is invalid.',
  );

/** ODS code: up to 9 upper-case letters and digits (a GP practice is typically one letter and five digits). */
export const odsCode = z.string().regex(/^[A-Z0-9]{1,9}$/, 'must be an ODS code: 1 to 9 upper-case letters or digits');

/** A local authority's 9-character ONS code, e.g. E06000066 (Somerset). */
export const onsCode = z.string().regex(/^[EWSN]\d{8}$/, 'must be a 9-character ONS code such as E06000066');

/** A police force's code as registered for its client (e.g. `ASP` for Avon and Somerset). */
export const forceCode = z.string().regex(/^[A-Z0-9]{2,12}$/, 'must be 2 to 12 upper-case letters or digits');

/** UK postcode, normalised upper case with one space before the inward code. */
export function normalisePostcode(value: string): string {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  return compact.length > 3 ? `${compact.slice(0, -3)} ${compact.slice(-3)}` : compact;
}

export const postcode = z
  .string()
  .max(10)
  .transform(normalisePostcode)
  .pipe(z.string().regex(/^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/, 'must be a UK postcode'))
  .describe(
    'UK postcode, at most 10 characters as sent. Normalised to upper case with one space before the inward ' +
      'code (e.g. "ta12ab" becomes "TA1 2AB"), then it must be a UK postcode.',
  );

/** A calendar date `YYYY-MM-DD` that exists. */
export const isoDate = z.iso.date('must be a date as YYYY-MM-DD');

/** A timestamp with an explicit offset, e.g. 2026-11-21T22:40:00Z or 2026-11-21T22:40:00+00:00. */
export const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone' });

/**
 * Inbox addresses. `gp:<ODS>` a GP practice; `marac:<ONS>` the MARAC of a local authority area;
 * `exceptions:<ONS>` the area's safeguarding team for people who cannot be matched; `la:<ONS>` the local
 * authority's children's social care. `force:<code>` is a police force's own inbox: the hub's reports back to it
 * (non-delivery reports), never a recipient a policy routes to.
 */
export const RECIPIENT_KINDS = ['gp', 'marac', 'exceptions', 'la'] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];
/** Every kind of inbox: the recipients the policies route to, and a sender's own (`force`). */
export const INBOX_KINDS = [...RECIPIENT_KINDS, 'force'] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export const recipient = z
  .string()
  .regex(
    /^(gp:[A-Z0-9]{1,9}|(marac|exceptions|la):[EWSN]\d{8}|force:[A-Z0-9]{2,12})$/,
    'must be gp:<ODS code>, marac:<ONS code>, exceptions:<ONS code>, la:<ONS code> or force:<force code>',
  );
export type Recipient = z.infer<typeof recipient>;

export function recipientOf(kind: InboxKind, code: string): Recipient {
  return recipient.parse(`${kind}:${code}`);
}

export function parseRecipient(value: Recipient): { kind: InboxKind; code: string } {
  const [kind, code] = value.split(':') as [InboxKind, string];
  return { kind, code };
}
