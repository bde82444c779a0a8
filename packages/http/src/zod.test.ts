import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonPointer, MAX_REPORTED_FIELD_ERRORS, toValidationError } from './zod.ts';

describe('jsonPointer', () => {
  it('escapes ~ and / per RFC 6901 and keeps array indexes', () => {
    expect(jsonPointer(['body', 'subjects', 0, 'nhsNumber'])).toBe('/body/subjects/0/nhsNumber');
    expect(jsonPointer(['body', 'a/b', 'c~d', '~/'])).toBe('/body/a~1b/c~0d/~0~1');
    expect(jsonPointer(['body', ''])).toBe('/body/');
  });
});

describe('toValidationError', () => {
  it('prefixes pointers with the request part', () => {
    const result = z.object({ page: z.coerce.number().int() }).safeParse({ page: 'x' });
    const error = toValidationError('query', result.error!);
    expect(error).toMatchObject({ code: 'validation-failed', status: 400, detail: 'The request has 1 invalid field.' });
    expect(error.errors).toEqual([{ pointer: '/query/page', detail: expect.any(String) as string }]);
  });

  it('never puts the rejected value in a detail', () => {
    const schema = z.object({ nhsNumber: z.string().regex(/^\d{10}$/), role: z.enum(['victim']), n: z.number() });
    const result = schema.safeParse({ nhsNumber: '94347659XY', role: 'SmithsonAlexandra', n: 'TA1 1AA' });
    const text = JSON.stringify(toValidationError('body', result.error!));
    for (const value of ['94347659XY', 'SmithsonAlexandra', 'TA1 1AA']) expect(text).not.toContain(value);
  });

  it(`lists at most ${MAX_REPORTED_FIELD_ERRORS} field errors and says how many there were`, () => {
    const result = z.array(z.string()).safeParse(Array.from({ length: 50 }, (_, i) => i));
    const error = toValidationError('body', result.error!);
    expect(error.errors).toHaveLength(MAX_REPORTED_FIELD_ERRORS);
    expect(error.errors?.[0]?.pointer).toBe('/body/0');
    expect(error.detail).toBe(`The request has 50 invalid fields; the first ${MAX_REPORTED_FIELD_ERRORS} are listed.`);
  });
});
