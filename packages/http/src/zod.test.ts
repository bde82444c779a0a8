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

  it('reports unknown keys at the containing object, counted, and never names them', () => {
    const schema = z.object({ subjects: z.array(z.object({ role: z.string() }).strict()) }).strict();
    const result = schema.safeParse({ subjects: [{ role: 'victim', '9434765919': 1, Smithson: 2 }], 'TA1 1AA': 3 });
    const error = toValidationError('body', result.error!, schema);
    expect(error.errors).toEqual([
      { pointer: '/body/subjects/0', detail: 'Unknown fields are not allowed (2).' },
      { pointer: '/body', detail: 'Unknown fields are not allowed (1).' },
    ]);
    const text = JSON.stringify(error);
    for (const key of ['9434765919', 'Smithson', 'TA1 1AA']) expect(text).not.toContain(key);
  });

  it('stops a pointer before a record key, which the client chose', () => {
    const schema = z.object({ byNhsNumber: z.record(z.string(), z.object({ flag: z.boolean() })) });
    const result = schema.safeParse({ byNhsNumber: { '9434765919': { flag: 'yes' }, Smithson: { flag: 1 } } });
    const withSchema = toValidationError('body', result.error!, schema);
    expect(withSchema.errors).toEqual([
      { pointer: '/body/byNhsNumber', detail: 'A member of this object is invalid.' },
    ]);
    // A ZodError thrown by a handler comes without its schema: only identifier-like segments are kept.
    const withoutSchema = JSON.stringify(toValidationError('body', result.error!));
    expect(withoutSchema).not.toContain('9434765919');
    // A declared key that a client key happens to equal is still ours to name.
    const declared = z.object({ a: z.record(z.string(), z.object({ flag: z.boolean() })) });
    const own = declared.safeParse({ a: { flag: { flag: 1 } } });
    expect(toValidationError('body', own.error!, declared).errors?.[0]?.pointer).toBe('/body/a/flag/flag');
  });
});
