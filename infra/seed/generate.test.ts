import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSeed, testNhsNumber } from './generate.ts';

describe('infra/seed/generate.ts', () => {
  it('computes the modulus-11 check digit', () => {
    // 9,9,9,1,0,0,1,0,1 weighted 10..2: 90+81+72+7+0+0+4+0+2 = 256; 256 mod 11 = 3; 11 - 3 = 8.
    expect(testNhsNumber('100101')).toBe('9991001018');
    // 9,9,9,0,0,0,0,0,1: 245 mod 11 = 3 -> 8 (the number @hub/testkit's sampleIncident uses).
    expect(testNhsNumber('000001')).toBe('9990000018');
    // 9,9,9,1,0,0,1,0,5: 264 mod 11 = 0 -> 11 -> 0.
    expect(testNhsNumber('100105')).toBe('9991001050');
  });

  it('refuses a serial whose check value is 10', () => {
    // 9,9,9,0,0,0,0,0,0: 243 mod 11 = 1 -> 10: no valid number.
    expect(() => testNhsNumber('000000')).toThrow('check value 10');
  });

  it.each(Object.entries(buildSeed()))('the committed %s is what the script writes', (name, text) => {
    expect(readFileSync(new URL(name, import.meta.url), 'utf8')).toBe(text);
  });
});
