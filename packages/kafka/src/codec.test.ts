import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeValue, encodeValue, safeToken, summariseIssues, toJsonPointer, validate } from './codec.ts';

describe('decodeValue', () => {
  it('decodes UTF-8 JSON', () => {
    expect(decodeValue(Buffer.from('{"a":[1,"é"]}', 'utf8'))).toEqual({ ok: true, json: { a: [1, 'é'] } });
  });

  it('names why bytes are undecodable, without quoting them', () => {
    expect(decodeValue(null)).toEqual({ ok: false, cause: 'no-value' });
    expect(decodeValue(Buffer.from([0xff, 0xfe, 0x41]))).toEqual({ ok: false, cause: 'not-utf8' });
    expect(decodeValue(Buffer.from('Smithson was here', 'utf8'))).toEqual({ ok: false, cause: 'not-json' });
  });
});

describe('encodeValue', () => {
  it('round-trips through decodeValue', () => {
    const value = { ref: 'inc-1', count: 3, nested: { ok: true } };
    expect(decodeValue(encodeValue(value))).toEqual({ ok: true, json: value });
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => encodeValue(undefined)).toThrow(TypeError);
  });
});

describe('validate and summariseIssues', () => {
  const schema = z
    .object({ ref: z.string().min(3), subjects: z.array(z.object({ nhsNumber: z.string().regex(/^\d{10}$/) })) })
    .strict();

  it('answers the parsed value when the contract holds', () => {
    expect(validate(schema, { ref: 'abc', subjects: [] })).toEqual({ ok: true, value: { ref: 'abc', subjects: [] } });
  });

  it('locates failures as JSON pointers with zod codes, never quoting the values', () => {
    const result = validate(schema, {
      ref: 'ab',
      subjects: [{ nhsNumber: 'Smithson-9434765919' }],
      extra: 'Alexandra',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: '/ref', code: 'too_small' },
      { path: '/subjects/0/nhsNumber', code: 'invalid_format' },
      { path: '', code: 'unrecognized_keys' },
    ]);
    const text = JSON.stringify(result.issues);
    for (const value of ['Smithson', '9434765919', 'Alexandra', 'extra']) expect(text).not.toContain(value);
  });

  it('masks record keys that could be data', () => {
    const byNhsNumber = z.record(z.string(), z.object({ flag: z.boolean() }));
    const result = validate(byNhsNumber, { '943 476 5919': { flag: 'yes' } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([{ path: '/*/flag', code: 'invalid_type' }]);
  });

  it('builds pointers from indices and identifier-like keys only', () => {
    expect(toJsonPointer(['a', 0, 'b_c', 'with space', Symbol('s')])).toBe('/a/0/b_c/*/*');
    expect(summariseIssues([])).toEqual([]);
  });
});

describe('safeToken', () => {
  it('keeps short code-like strings and finite numbers only', () => {
    expect(safeToken('ECONNREFUSED')).toBe('ECONNREFUSED');
    expect(safeToken(47)).toBe('47');
    expect(safeToken('patient Smithson not found')).toBeUndefined();
    expect(safeToken('x'.repeat(65))).toBeUndefined();
    expect(safeToken({})).toBeUndefined();
  });
});
