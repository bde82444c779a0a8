/**
 * Keys whose values are personal data or secrets. Any property with one of these names, at any depth up to
 * MAX_DEPTH, is replaced by CENSOR in every log line. Keep the list generous: a false positive costs a log
 * field, a false negative leaks a victim's details.
 */
export const SENSITIVE_KEYS = [
  // people
  'name',
  'names',
  'given',
  'family',
  'givenName',
  'familyName',
  'fullName',
  'nhsNumber',
  'nhs_number',
  'birthDate',
  'dateOfBirth',
  'dob',
  'postcode',
  'postCode',
  'address',
  'addressLine',
  'line',
  'phone',
  'telephone',
  'email',
  'circumstances',
  'subjects',
  // secrets
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'client_assertion',
  'assertion',
  'password',
  'secret',
  'privateKey',
  'jwk',
  'jwks',
  'key',
] as const;

export const CENSOR = '[REDACTED]';
const MAX_DEPTH = 5;

/** pino/fast-redact paths: each key at the top level and under up to MAX_DEPTH-1 levels of objects or arrays. */
export const REDACT_PATHS: readonly string[] = SENSITIVE_KEYS.flatMap((key) =>
  Array.from({ length: MAX_DEPTH }, (_, depth) => [...Array<string>(depth).fill('*'), bracketIfNeeded(key)].join('.')),
).map((path) => path.replaceAll('.[', '['));

function bracketIfNeeded(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}
