import type { IncidentSubject } from '@hub/contracts';
import { incidentSubject } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import type { DirectoryPatient, PatientDirectory, TraceResult } from './directory.ts';
import { incidentDate, registeredPracticeOn, resolveSubject } from './resolve.ts';
import { createDirectorySnapshot } from './snapshot.ts';

const NHS = {
  sarah: '9999000010',
  priya: '9999000029',
  hannah: '9999000037', // restricted
  tom: '9999000045', // registration ended 2024-12-31
  nadia: '9999000053', // registered from 2026-12-01 only
  smithA: '9999000061',
  smithB: '9999000088',
  margaret: '9999000096', // inactive
  zoe: '9999000118',
  sean: '9999000126',
  amelia: '9999000134',
  ryan: '9999000142', // no postcode
  rita: '9999000150', // inactive and restricted
  owen: '9999000169', // never registered
  unknown: '9999000223', // valid, not in the directory
} as const;

const patient = (
  nhsNumber: string,
  [given, family]: [string, string],
  birthDate: string,
  postcode: string | undefined,
  practices: { ods: string; from: string; to?: string }[],
  flags: { restricted?: boolean; active?: boolean } = {},
) => ({
  nhsNumber,
  name: { given, family },
  birthDate,
  ...(postcode === undefined ? {} : { postcode }),
  practices,
  restricted: flags.restricted ?? false,
  active: flags.active ?? true,
});

const directory = createDirectorySnapshot({
  localAuthorities: [
    { ons: 'E06000066', name: 'Somerset Council', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
  ],
  practices: [
    { ods: 'L85901', name: 'Tone Valley Medical Centre', postcode: 'TA1 2PX', localAuthority: 'E06000066' },
    { ods: 'L85902', name: 'Parrett Bank Surgery', postcode: 'TA6 3LQ', localAuthority: 'E06000066' },
    { ods: 'L85903', name: 'Hendford Hill Practice', postcode: 'BA20 2QA', localAuthority: 'E06000066' },
  ],
  patients: [
    patient(NHS.sarah, ['Sarah', 'Whitlock'], '1991-04-12', 'TA1 3RE', [{ ods: 'L85901', from: '2009-09-01' }]),
    patient(NHS.priya, ['Priya', 'Sharma'], '1985-11-02', 'TA1 4DY', [
      { ods: 'L85902', from: '2010-01-04', to: '2025-06-30' },
      { ods: 'L85901', from: '2025-07-01' },
    ]),
    patient(NHS.hannah, ['Hannah', 'Reeve'], '1994-08-19', 'TA6 5HG', [{ ods: 'L85902', from: '2015-01-05' }], {
      restricted: true,
    }),
    patient(NHS.tom, ['Tom', 'Ashdown'], '1979-03-05', 'BA20 1PL', [
      { ods: 'L85903', from: '2001-01-08', to: '2024-12-31' },
    ]),
    patient(NHS.nadia, ['Nadia', 'Khan'], '2002-05-05', 'TA1 1AA', [{ ods: 'L85903', from: '2026-12-01' }]),
    patient(NHS.smithA, ['James', 'Smith'], '1990-01-01', 'BS5 6NQ', [{ ods: 'L85901', from: '2008-02-11' }]),
    patient(NHS.smithB, ['James', 'Smith'], '1990-01-01', 'BS5 6NQ', [{ ods: 'L85902', from: '2014-07-21' }]),
    patient(NHS.margaret, ['Margaret', 'Ellis'], '1942-05-09', 'TA4 3BB', [{ ods: 'L85903', from: '1998-04-01' }], {
      active: false,
    }),
    patient(NHS.zoe, ['Zoë', "O'Brien"], '2001-07-22', 'BS3 4AQ', [{ ods: 'L85901', from: '2019-09-02' }]),
    patient(NHS.sean, ['Seán', 'Ó Murchú'], '1983-02-11', 'BS1 6QH', [{ ods: 'L85902', from: '2008-05-01' }]),
    patient(NHS.amelia, ['Amelia', 'Fox-Hartley'], '1977-06-25', 'TA1 1XX', [{ ods: 'L85903', from: '2003-10-13' }]),
    patient(NHS.ryan, ['Ryan', 'Cole'], '1986-08-08', undefined, [{ ods: 'L85901', from: '2023-04-03' }]),
    patient(NHS.rita, ['Rita', 'Moss'], '1960-01-01', 'TA1 5AA', [{ ods: 'L85901', from: '1990-01-01' }], {
      restricted: true,
      active: false,
    }),
    patient(NHS.owen, ['Owen', 'Price'], '1999-09-09', 'TA1 6BB', []),
  ],
});

const DATE = '2026-11-21';

/** A subject as the police gateway hands it over: parsed by the contract (postcode normalised, names trimmed). */
function subject(fields: {
  nhsNumber?: string;
  given: string;
  family: string;
  birthDate: string;
  postcode?: string;
}): IncidentSubject {
  return incidentSubject.parse({
    ref: 's1',
    role: 'victim',
    name: { given: fields.given, family: fields.family },
    birthDate: fields.birthDate,
    ...(fields.nhsNumber === undefined ? {} : { nhsNumber: fields.nhsNumber }),
    ...(fields.postcode === undefined ? {} : { postcode: fields.postcode }),
  });
}

const matched = (nhsNumber: string, practiceOds: string, matchedBy: 'nhs-number' | 'demographic-trace') => ({
  ref: 's1',
  outcome: 'matched',
  nhsNumber,
  practiceOds,
  matchedBy,
});
const exception = (reason: string) => ({ ref: 's1', outcome: 'exception', reason });

describe('resolveSubject by NHS number', () => {
  it('matches when the number exists and the birth date agrees, with the practice valid on the date', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.sarah, given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.sarah, 'L85901', 'nhs-number'));
  });

  it('uses the NHS number alone: names and postcode given are not compared', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.sarah, given: 'Someone', family: 'Else', birthDate: '1991-04-12', postcode: 'BS1 1AA' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.sarah, 'L85901', 'nhs-number'));
  });

  it('nhs-number-not-found for a valid number the directory does not hold, without falling back to a trace', async () => {
    const result = await resolveSubject(
      directory,
      subject({
        nhsNumber: NHS.unknown,
        given: 'Sarah',
        family: 'Whitlock',
        birthDate: '1991-04-12',
        postcode: 'TA1 3RE',
      }),
      DATE,
    );
    expect(result).toEqual(exception('nhs-number-not-found'));
  });

  it('nhs-number-mismatch when the birth date differs from the directory', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.sarah, given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-13' }),
      DATE,
    );
    expect(result).toEqual(exception('nhs-number-mismatch'));
  });

  it('an inactive number is inactive-record', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.margaret, given: 'Margaret', family: 'Ellis', birthDate: '1942-05-09' }),
      DATE,
    );
    expect(result).toEqual(exception('inactive-record'));
  });

  it('checks the birth date before disclosing that a record is inactive or restricted', async () => {
    const wrongDate = { given: 'X', family: 'Y', birthDate: '2000-01-01' };
    expect(await resolveSubject(directory, subject({ nhsNumber: NHS.margaret, ...wrongDate }), DATE)).toEqual(
      exception('nhs-number-mismatch'),
    );
    expect(await resolveSubject(directory, subject({ nhsNumber: NHS.hannah, ...wrongDate }), DATE)).toEqual(
      exception('nhs-number-mismatch'),
    );
  });

  it('inactive comes before restricted', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.rita, given: 'Rita', family: 'Moss', birthDate: '1960-01-01' }),
      DATE,
    );
    expect(result).toEqual(exception('inactive-record'));
  });

  it('restricted-record for an S-flag record, even though the file holds a current practice', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.hannah, given: 'Hannah', family: 'Reeve', birthDate: '1994-08-19' }),
      DATE,
    );
    expect(result).toEqual(exception('restricted-record'));
  });

  it('no-registered-practice when the only registration has ended', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.tom, given: 'Tom', family: 'Ashdown', birthDate: '1979-03-05' }),
      DATE,
    );
    expect(result).toEqual(exception('no-registered-practice'));
  });

  it('no-registered-practice for a patient never registered', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.owen, given: 'Owen', family: 'Price', birthDate: '1999-09-09' }),
      DATE,
    );
    expect(result).toEqual(exception('no-registered-practice'));
  });

  it('finds a patient with no postcode by NHS number', async () => {
    const result = await resolveSubject(
      directory,
      subject({ nhsNumber: NHS.ryan, given: 'Ryan', family: 'Cole', birthDate: '1986-08-08' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.ryan, 'L85901', 'nhs-number'));
  });
});

describe('resolveSubject: practice period boundaries on the incident date (inclusive both ends)', () => {
  const priya = subject({ nhsNumber: NHS.priya, given: 'Priya', family: 'Sharma', birthDate: '1985-11-02' });
  it.each([
    ['2010-01-03', undefined], // the day before the first registration
    ['2010-01-04', 'L85902'], // first day (from)
    ['2025-06-30', 'L85902'], // last day (to) of the old practice
    ['2025-07-01', 'L85901'], // first day at the new practice
    ['2031-01-01', 'L85901'], // open-ended
  ])('on %s: %s', async (onDate, ods) => {
    const result = await resolveSubject(directory, priya, onDate);
    expect(result).toEqual(
      ods === undefined ? exception('no-registered-practice') : matched(NHS.priya, ods, 'nhs-number'),
    );
  });

  it.each([
    ['2024-12-31', 'L85903'],
    ['2025-01-01', undefined],
  ])('an ended registration on %s: %s', async (onDate, ods) => {
    const tom = subject({ nhsNumber: NHS.tom, given: 'Tom', family: 'Ashdown', birthDate: '1979-03-05' });
    const result = await resolveSubject(directory, tom, onDate);
    expect(result).toEqual(
      ods === undefined ? exception('no-registered-practice') : matched(NHS.tom, ods, 'nhs-number'),
    );
  });

  it.each([
    ['2026-11-30', undefined],
    ['2026-12-01', 'L85903'],
  ])('a registration starting later, on %s: %s', async (onDate, ods) => {
    const nadia = subject({ nhsNumber: NHS.nadia, given: 'Nadia', family: 'Khan', birthDate: '2002-05-05' });
    const result = await resolveSubject(directory, nadia, onDate);
    expect(result).toEqual(
      ods === undefined ? exception('no-registered-practice') : matched(NHS.nadia, ods, 'nhs-number'),
    );
  });

  it('refuses an onDate that is not YYYY-MM-DD', async () => {
    const sarah = subject({ nhsNumber: NHS.sarah, given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12' });
    await expect(resolveSubject(directory, sarah, '2026-11-21T10:00:00Z')).rejects.toThrow(RangeError);
    await expect(resolveSubject(directory, sarah, '2026-02-30')).rejects.toThrow(RangeError);
  });
});

describe('resolveSubject by demographic trace', () => {
  it('matches exactly one candidate on family, given, birth date and postcode', async () => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12', postcode: 'TA1 3RE' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.sarah, 'L85901', 'demographic-trace'));
  });

  it.each([
    ['case and spaces', { given: '  SARAH ', family: 'whit lock', postcode: 'ta13re' }],
    ['upper-case postcode without a space', { given: 'Sarah', family: 'Whitlock', postcode: 'TA13RE' }],
  ])('normalises %s', async (_label, fields) => {
    const result = await resolveSubject(directory, subject({ ...fields, birthDate: '1991-04-12' }), DATE);
    expect(result).toEqual(matched(NHS.sarah, 'L85901', 'demographic-trace'));
  });

  it.each([
    ['Zoë', "O'Brien"],
    ['ZOE', 'OBRIEN'],
    ['zoe', 'o’brien'],
    ['Zoe', 'O Brien'],
    ['Zoë', 'O-Brien'],
    ['Zoe\u0308', "O'Brien"], // e + combining diaeresis (decomposed form)
  ])('accents and apostrophes: %s %s', async (given, family) => {
    const result = await resolveSubject(
      directory,
      subject({ given, family, birthDate: '2001-07-22', postcode: 'BS3 4AQ' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.zoe, 'L85901', 'demographic-trace'));
  });

  it.each([
    ['Seán', 'Ó Murchú'],
    ['SEAN', 'O MURCHU'],
    ['Sean', 'OMurchu'],
  ])('accents and spaces in a family name: %s %s', async (given, family) => {
    const result = await resolveSubject(
      directory,
      subject({ given, family, birthDate: '1983-02-11', postcode: 'BS1 6QH' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.sean, 'L85902', 'demographic-trace'));
  });

  it.each(['Fox-Hartley', 'Fox Hartley', 'FOXHARTLEY', 'Fox–Hartley'])('hyphens: %s', async (family) => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'Amelia', family, birthDate: '1977-06-25', postcode: 'TA1 1XX' }),
      DATE,
    );
    expect(result).toEqual(matched(NHS.amelia, 'L85903', 'demographic-trace'));
  });

  it.each([
    ['a partial family name', { given: 'Sarah', family: 'Whit', birthDate: '1991-04-12', postcode: 'TA1 3RE' }],
    ['an initial for the given name', { given: 'S', family: 'Whitlock', birthDate: '1991-04-12', postcode: 'TA1 3RE' }],
    ['a one-letter typo', { given: 'Sarah', family: 'Whitlocke', birthDate: '1991-04-12', postcode: 'TA1 3RE' }],
    ['a different birth date', { given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-21', postcode: 'TA1 3RE' }],
    ['a neighbouring postcode', { given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12', postcode: 'TA1 3RF' }],
    ['another vowel', { given: 'Zoë', family: 'O’Brian', birthDate: '2001-07-22', postcode: 'BS3 4AQ' }],
  ])('no-match, never a guess: %s', async (_label, fields) => {
    expect(await resolveSubject(directory, subject(fields), DATE)).toEqual(exception('no-match'));
  });

  it('insufficient-demographics without a postcode, even when names and birth date identify one record', async () => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12' }),
      DATE,
    );
    expect(result).toEqual(exception('insufficient-demographics'));
  });

  it('a record without a postcode is never found by trace', async () => {
    // Ryan Cole has no postcode in the directory; no postcode the police give can match it.
    const result = await resolveSubject(
      directory,
      subject({ given: 'Ryan', family: 'Cole', birthDate: '1986-08-08', postcode: 'BS1 1AA' }),
      DATE,
    );
    expect(result).toEqual(exception('no-match'));
  });

  it('multiple-matches for two records with the same name, birth date and postcode', async () => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'James', family: 'Smith', birthDate: '1990-01-01', postcode: 'BS5 6NQ' }),
      DATE,
    );
    expect(result).toEqual(exception('multiple-matches'));
  });

  it('a unique inactive record is no-match (no inactive reason in the contract yet)', async () => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'Margaret', family: 'Ellis', birthDate: '1942-05-09', postcode: 'TA4 3BB' }),
      DATE,
    );
    expect(result).toEqual(exception('no-match'));
  });

  it('restricted-record: a restricted record is found by trace but not routed', async () => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'Hannah', family: 'Reeve', birthDate: '1994-08-19', postcode: 'TA6 5HG' }),
      DATE,
    );
    expect(result).toEqual(exception('restricted-record'));
  });

  it('no-registered-practice after a trace match', async () => {
    const result = await resolveSubject(
      directory,
      subject({ given: 'Tom', family: 'Ashdown', birthDate: '1979-03-05', postcode: 'BA20 1PL' }),
      DATE,
    );
    expect(result).toEqual(exception('no-registered-practice'));
  });
});

describe('resolveSubject over another PatientDirectory (an adapter)', () => {
  const record: DirectoryPatient = {
    nhsNumber: NHS.sarah,
    name: { given: 'Sarah', family: 'Whitlock' },
    birthDate: '1991-04-12',
    gender: 'female',
    practices: [{ ods: 'L85901', from: '2009-09-01' }],
    restricted: false,
    active: true,
  };
  const adapter = (found: DirectoryPatient | undefined, traced: TraceResult): PatientDirectory => ({
    findByNhsNumber: () => Promise.resolve(found),
    trace: () => Promise.resolve(traced),
    practice: () => Promise.resolve(undefined),
    localAuthority: () => Promise.resolve(undefined),
  });

  it('throws rather than match when the record returned is for another NHS number', async () => {
    const directory = adapter({ ...record, nhsNumber: NHS.priya }, { kind: 'none' });
    const sarah = subject({ nhsNumber: NHS.sarah, given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12' });
    await expect(resolveSubject(directory, sarah, DATE)).rejects.toThrow('different NHS number');
  });

  it('throws rather than match when a trace returns a record that does not agree with the query', async () => {
    const directory = adapter(undefined, {
      kind: 'unique',
      patient: { ...record, name: { given: 'Sara', family: 'Whitlock' } },
    });
    const sarah = subject({ given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12', postcode: 'TA1 3RE' });
    await expect(resolveSubject(directory, sarah, DATE)).rejects.toThrow('does not agree');
  });

  it('no-registered-practice when two practices are valid on the date (overlapping periods)', async () => {
    const overlapping = {
      ...record,
      practices: [
        { ods: 'L85901', from: '2009-09-01' },
        { ods: 'L85902', from: '2026-01-01' },
      ],
    };
    const sarah = subject({ nhsNumber: NHS.sarah, given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12' });
    expect(await resolveSubject(adapter(overlapping, { kind: 'none' }), sarah, DATE)).toEqual(
      exception('no-registered-practice'),
    );
    expect(await resolveSubject(adapter(overlapping, { kind: 'none' }), sarah, '2025-12-31')).toEqual(
      matched(NHS.sarah, 'L85901', 'nhs-number'),
    );
  });
});

describe('registeredPracticeOn', () => {
  it('counts the same practice listed twice as one', () => {
    const periods = [
      { ods: 'L85901', from: '2020-01-01', to: '2022-12-31' },
      { ods: 'L85901', from: '2022-06-01' },
    ];
    expect(registeredPracticeOn(periods, '2022-07-01')).toBe('L85901');
  });
  it('is undefined with no periods', () => {
    expect(registeredPracticeOn([], '2022-07-01')).toBeUndefined();
  });
});

describe('incidentDate', () => {
  it.each([
    ['2026-06-30T23:30:00Z', '2026-07-01'], // 00:30 BST
    ['2026-06-30T22:59:59Z', '2026-06-30'], // 23:59:59 BST
    ['2026-12-31T23:30:00Z', '2026-12-31'], // GMT: same as UTC
    ['2026-07-01T00:30:00+01:00', '2026-07-01'],
  ])('%s is %s in England', (occurredAt, date) => {
    expect(incidentDate(occurredAt)).toBe(date);
  });
  it('refuses a date-time without a zone', () => {
    expect(() => incidentDate('2026-06-30T23:30:00')).toThrow(RangeError);
  });
});
