/*
 * The token endpoint's body: application/x-www-form-urlencoded (RFC 6749 §4.4.2, RFC 7521 §4.2). A few lines over
 * URLSearchParams instead of @fastify/formbody: one less dependency, and duplicates stay visible (RFC 6749 §3.2:
 * parameters must not be sent more than once), which qs-style parsers fold into arrays or drop.
 */

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** Largest token request body. An RS512 assertion from a 4096-bit key is under 2 KiB. */
export const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;
/** More parameters than this is not a token request. */
export const MAX_FORM_PARAMETERS = 20;

/** A parsed form: every value of every parameter, in order. */
export interface FormBody {
  readonly kind: 'form';
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly tooManyParameters: boolean;
}

/** What a body in any other content type becomes: the endpoint answers invalid_request, not 415. */
export interface OtherBody {
  readonly kind: 'other';
}

export function parseForm(text: string): FormBody {
  const values = new Map<string, string[]>();
  let count = 0;
  // URLSearchParams never throws: malformed percent-escapes are kept literally, '+' is a space.
  for (const [name, value] of new URLSearchParams(text)) {
    count += 1;
    if (count > MAX_FORM_PARAMETERS) return { kind: 'form', values, tooManyParameters: true };
    const list = values.get(name);
    if (list === undefined) values.set(name, [value]);
    else list.push(value);
  }
  return { kind: 'form', values, tooManyParameters: false };
}

export function isFormBody(body: unknown): body is FormBody {
  return typeof body === 'object' && body !== null && 'kind' in body && body.kind === 'form';
}
