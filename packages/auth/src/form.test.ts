import { describe, expect, it } from 'vitest';
import { isFormBody, MAX_FORM_PARAMETERS, parseForm } from './form.ts';

describe('parseForm', () => {
  it('keeps every value of every parameter, so duplicates stay visible', () => {
    const form = parseForm('grant_type=client_credentials&a=1&a=2&b=x+y%2Bz');
    expect([...form.values]).toEqual([
      ['grant_type', ['client_credentials']],
      ['a', ['1', '2']],
      ['b', ['x y+z']],
    ]);
    expect(form.tooManyParameters).toBe(false);
    expect(isFormBody(form)).toBe(true);
    expect(isFormBody({ kind: 'other' })).toBe(false);
  });

  it('never throws on bad percent-encoding and stops counting past the limit', () => {
    expect(parseForm('a=%E0%A4%A').values.get('a')).toHaveLength(1);
    const many = Array.from({ length: MAX_FORM_PARAMETERS + 1 }, (_, index) => `p${index}=1`).join('&');
    expect(parseForm(many).tooManyParameters).toBe(true);
    expect(parseForm('').values.size).toBe(0);
  });
});
