import { describe, expect, it } from 'vitest';
import { isValidNhsNumber, nhsNumber, normalisePostcode, postcode, recipient } from './identifiers.ts';

describe('NHS number', () => {
  it.each(['9434765919', '9999999999', '4010232137'])('accepts %s (valid check digit)', (value) => {
    expect(isValidNhsNumber(value)).toBe(true);
  });

  it.each([
    ['9434765918', 'wrong check digit'],
    ['943476591', 'nine digits'],
    ['94347659190', 'eleven digits'],
    ['943 476 5919', 'spaces'],
    ['0000000060', 'check value 10 is never valid (sum 12, mod 11 = 1)'],
  ])('rejects %s (%s)', (value) => {
    expect(isValidNhsNumber(value)).toBe(false);
    expect(nhsNumber.safeParse(value).success).toBe(false);
  });

  it('maps a check value of 11 to 0', () => {
    // digits 1-9 of 9990000000 weigh to 9*10+9*9+9*8 = 243; 243 mod 11 = 1; 11-1 = 10 -> invalid;
    // 0000000000: sum 0, check 11 -> 0, so the number with last digit 0 is valid.
    expect(isValidNhsNumber('0000000000')).toBe(true);
    expect(isValidNhsNumber('9990000000')).toBe(false);
  });
});

describe('postcode', () => {
  it('normalises case and spaces', () => {
    expect(normalisePostcode(' ta1  1aa ')).toBe('TA1 1AA');
    expect(postcode.parse('sw1a2aa')).toBe('SW1A 2AA');
  });
  it('rejects what is not a postcode', () => {
    expect(postcode.safeParse('NOT A CODE').success).toBe(false);
  });
});

describe('recipient', () => {
  it.each(['gp:A81001', 'marac:E06000066', 'exceptions:E06000066', 'la:E06000066'])('accepts %s', (value) => {
    expect(recipient.parse(value)).toBe(value);
  });
  it.each(['gp:a81001', 'marac:A81001', 'gp:', 'inbox:E06000066', 'gp:A81001 '])('rejects %s', (value) => {
    expect(recipient.safeParse(value).success).toBe(false);
  });
});
