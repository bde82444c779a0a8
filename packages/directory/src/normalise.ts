import { normalisePostcode } from '@hub/contracts';

/*
 * Normalisation for the demographic trace. Two spellings match only if they are equal after these steps, in
 * this order; nothing else is forgiven (no fuzzy or partial matching: a wrong match flags the wrong person):
 *   1. lower case;
 *   2. Unicode NFD, then every combining mark removed: "Zoë" = "Zoe", "Seán" = "Sean", "Ó" = "O";
 *   3. apostrophes (' ’ ‘ ʼ ` ´ ′), hyphens and dashes (- ‐ ‑ ‒ – — −), whitespace (any, including no-break
 *      space) and invisible format characters (zero-width space, BOM...) removed, not replaced by a space:
 *      "O'Brien" = "O’Brien" = "O Brien" = "OBrien" = "O-Brien"; "Smith-Jones" = "Smith Jones" = "SmithJones".
 * Everything else is kept as written: full stops ("St. John" is not "St John"), letters that are not a base
 * letter plus an accent ("ø", "ł", "æ", "ß" stay themselves, so "Søren" is not "Soren"). Those mismatch to an
 * exception, never to a wrong person.
 */

const COMBINING_MARKS = /\p{M}/gu;
const SEPARATORS = /[\s'\u2018\u2019\u02BC\u0060\u00B4\u2032\u002D\u2010\u2011\u2012\u2013\u2014\u2212\p{Cf}]/gu;

/** A name as the trace compares it; '' when nothing comparable is left (such a name never matches). */
export function normaliseName(value: string): string {
  return value.toLowerCase().normalize('NFD').replace(COMBINING_MARKS, '').replace(SEPARATORS, '');
}

/** Birth dates are compared as YYYY-MM-DD; surrounding whitespace is ignored. */
export function normaliseBirthDate(value: string): string {
  return value.trim();
}

export { normalisePostcode };

export interface TraceKey {
  readonly family: string;
  readonly given: string;
  readonly birthDate: string;
  readonly postcode: string;
}

/** The normalised form of a trace query, or `undefined` when a part is empty after normalisation. */
export function traceKey(query: {
  family: string;
  given: string;
  birthDate: string;
  postcode: string;
}): TraceKey | undefined {
  const key = {
    family: normaliseName(query.family),
    given: normaliseName(query.given),
    birthDate: normaliseBirthDate(query.birthDate),
    postcode: normalisePostcode(query.postcode),
  };
  return Object.values(key).some((part) => part === '') ? undefined : key;
}
