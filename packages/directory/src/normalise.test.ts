import { describe, expect, it } from 'vitest';
import { normaliseName, traceKey } from './normalise.ts';

describe('normaliseName', () => {
  it.each([
    ["O'Brien", 'obrien'],
    ['O’Brien', 'obrien'],
    ['O‘Brien', 'obrien'],
    ['OʼBrien', 'obrien'],
    ['O`Brien', 'obrien'],
    ['O´Brien', 'obrien'],
    ['O Brien', 'obrien'],
    ['O-Brien', 'obrien'],
    ['OBRIEN', 'obrien'],
    ['Smith-Jones', 'smithjones'],
    ['Smith – Jones', 'smithjones'],
    ['Smith\u2011Jones', 'smithjones'], // non-breaking hyphen
    ['Smith\u00a0Jones', 'smithjones'], // no-break space
    ['Smith\u200bJones', 'smithjones'], // zero-width space
    ['  Zoë  ', 'zoe'],
    ['Zoe\u0308', 'zoe'], // decomposed diaeresis
    ['Ó Murchú', 'omurchu'],
    ['Renée', 'renee'],
    ['FRANÇOIS', 'francois'],
    ['Ångström', 'angstrom'],
    ['İlkay', 'ilkay'], // dotted capital I
    ['Đặng', 'đang'], // đ is a letter of its own; the accents on ặ go
  ])('%s -> %s', (input, expected) => {
    expect(normaliseName(input)).toBe(expected);
  });

  it.each([
    ['Søren', 'Soren'],
    ['Łukasz', 'Lukasz'],
    ['Strauß', 'Strauss'],
    ['St. John', 'St John'],
  ])('keeps letters and punctuation that are not accents or separators: %s is not %s', (a, b) => {
    expect(normaliseName(a)).not.toBe(normaliseName(b));
  });

  it('leaves nothing of a name made only of separators', () => {
    expect(normaliseName(" '- ")).toBe('');
  });
});

describe('traceKey', () => {
  it('normalises every part', () => {
    expect(traceKey({ family: "O'Brien", given: 'Zoë', birthDate: ' 2001-07-22 ', postcode: 'bs34aq' })).toEqual({
      family: 'obrien',
      given: 'zoe',
      birthDate: '2001-07-22',
      postcode: 'BS3 4AQ',
    });
  });

  it.each([
    { family: "'", given: 'Zoë', birthDate: '2001-07-22', postcode: 'BS3 4AQ' },
    { family: 'Smith', given: ' - ', birthDate: '2001-07-22', postcode: 'BS3 4AQ' },
    { family: 'Smith', given: 'Zoë', birthDate: '  ', postcode: 'BS3 4AQ' },
    { family: 'Smith', given: 'Zoë', birthDate: '2001-07-22', postcode: ' ' },
  ])('is undefined when a part is empty after normalisation (%o)', (query) => {
    expect(traceKey(query)).toBeUndefined();
  });
});
