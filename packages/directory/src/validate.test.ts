import { describe, expect, it } from 'vitest';
import { DirectoryLoadError, formatProblem } from './problems.ts';
import { DIRECTORY_LIMITS } from './schema.ts';
import { createDirectorySnapshot } from './snapshot.ts';
import { validateDirectoryData, type DirectorySourceData } from './validate.ts';

const NAMES = { patients: 'patients.json', practices: 'practices.json', localAuthorities: 'local-authorities.json' };

const somerset = {
  ons: 'E06000066',
  name: 'Somerset Council',
  officeHoursPhone: '01632 960100',
  outOfHoursPhone: '01632 960199',
};
const toneValley = {
  ods: 'L85901',
  name: 'Tone Valley Medical Centre',
  postcode: 'TA1 2PX',
  localAuthority: 'E06000066',
};
const sarah = {
  nhsNumber: '9991001018',
  name: { given: 'Sarah', family: 'Whitlock' },
  birthDate: '1991-04-12',
  postcode: 'TA1 3RE',
  practices: [{ ods: 'L85901', from: '2009-09-01' }],
  restricted: false,
  active: true,
};

const valid: DirectorySourceData = { patients: [sarah], practices: [toneValley], localAuthorities: [somerset] };

function problemsOf(data: DirectorySourceData) {
  const result = validateDirectoryData(data, NAMES);
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(formatProblem);
}

describe('validateDirectoryData', () => {
  it('accepts valid data and normalises postcodes', () => {
    const result = validateDirectoryData(
      { ...valid, patients: [{ ...sarah, postcode: 'ta13re' }], practices: [{ ...toneValley, postcode: 'ta12px' }] },
      NAMES,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.records.patients[0]?.postcode).toBe('TA1 3RE');
    expect(result.records.practices[0]?.postcode).toBe('TA1 2PX');
  });

  it('lists every problem in every file at once: file, record index, field, what is wrong', () => {
    const problems = problemsOf({
      localAuthorities: [somerset, { ...somerset, name: '', officeHoursPhone: 'ring the office' }],
      practices: [
        { ...toneValley, localAuthority: 'E06000099' },
        { ...toneValley, ods: 'l85902', website: 'x' },
        'not a record',
      ],
      patients: [
        { ...sarah, nhsNumber: '9991001019', birthDate: '1991-13-45', postcode: 'NOT A CODE' },
        { ...sarah, nhsNumber: '9991001026', name: { given: 'Daniel' }, restricted: 'no' },
        { ...sarah, nhsNumber: '9991001034', practices: [{ ods: 'L85999', from: '2009-09-01' }] },
        { ...sarah, nhsNumber: '9991001034', practices: [] },
      ],
    });
    expect(problems).toEqual([
      'patients.json[0].nhsNumber: is not a valid NHS number (check digit)',
      'patients.json[0].birthDate: must be a date as YYYY-MM-DD',
      'patients.json[0].postcode: must be a UK postcode',
      'patients.json[1].name.family: is required',
      'patients.json[1].restricted: Invalid input: expected boolean, received string',
      'patients.json[2].practices[0].ods: is not in practices.json',
      'patients.json[3].nhsNumber: duplicates the NHS number of record 2',
      'practices.json[0].localAuthority: is not in local-authorities.json',
      'practices.json[1].ods: must be an ODS code: 1 to 9 upper-case letters or digits',
      'practices.json[1].website: is not a known field',
      'practices.json[2]: Invalid input: expected object, received string',
      'local-authorities.json[1].name: must not be empty',
      'local-authorities.json[1].officeHoursPhone: must be a telephone number: 6 to 20 digits or spaces',
      'local-authorities.json[1].ons: duplicates the ONS code of record 0',
    ]);
  });

  it('never puts a value in a message, whatever is wrong with it', () => {
    const values = {
      nhsNumber: '9991001019',
      given: 'Sarah-Jane',
      family: 'W'.repeat(DIRECTORY_LIMITS.nameChars + 1),
      birthDate: '1991-13-45',
      postcode: 'TA1 3REX',
      key: 'Sarah Whitlock',
    };
    const data: DirectorySourceData = {
      ...valid,
      patients: [
        {
          ...sarah,
          nhsNumber: values.nhsNumber,
          name: { given: 42, family: values.family },
          birthDate: values.birthDate,
          postcode: values.postcode,
          [values.key]: values.given,
        },
      ],
    };
    let error: unknown;
    try {
      createDirectorySnapshot(data, { names: NAMES });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DirectoryLoadError);
    const loadError = error as DirectoryLoadError;
    expect(loadError.problems.map(formatProblem)).toEqual([
      'patients.json[0].nhsNumber: is not a valid NHS number (check digit)',
      'patients.json[0].name.given: Invalid input: expected string, received number',
      `patients.json[0].name.family: must be at most ${DIRECTORY_LIMITS.nameChars} characters`,
      'patients.json[0].birthDate: must be a date as YYYY-MM-DD',
      'patients.json[0].postcode: must be a UK postcode',
      'patients.json[0].(unnamed): is not a known field',
    ]);
    const text = `${loadError.message}\n${JSON.stringify(loadError.problems)}`;
    for (const value of [...Object.values(values), 'Sarah', '42']) expect(text).not.toContain(value);
  });

  it('checks registration periods: to before from, before birth, overlapping', () => {
    const problems = problemsOf({
      ...valid,
      patients: [
        { ...sarah, practices: [{ ods: 'L85901', from: '2005-01-01', to: '2004-12-31' }] },
        { ...sarah, nhsNumber: '9991001026', practices: [{ ods: 'L85901', from: '1991-04-11' }] }, // birth 1991-04-12
        {
          ...sarah,
          nhsNumber: '9991001034',
          practices: [
            { ods: 'L85901', from: '2000-01-01', to: '2010-12-31' },
            { ods: 'L85901', from: '2010-12-31', to: '2011-06-30' }, // shares a day with [0]
            { ods: 'L85901', from: '2012-01-01' },
            { ods: 'L85901', from: '2015-01-01' }, // inside the open-ended [2]
          ],
        },
      ],
    });
    expect(problems).toEqual([
      'patients.json[0].practices[0].to: must not be before from',
      'patients.json[1].practices[0].from: must not be before birthDate',
      'patients.json[2].practices[1].from: overlaps registration period 0',
      'patients.json[2].practices[3].from: overlaps registration period 2',
    ]);
  });

  it('runs the checks across fields only once the fields themselves are valid', () => {
    // A period starting "before" a birth date that is not a date is not a second problem.
    const problems = problemsOf({
      ...valid,
      patients: [{ ...sarah, birthDate: '12/04/1991', practices: [{ ods: 'L85901', from: '1980-01-01' }] }],
    });
    expect(problems).toEqual(['patients.json[0].birthDate: must be a date as YYYY-MM-DD']);
  });

  it('accepts consecutive periods (one ends the day before the next starts)', () => {
    const result = validateDirectoryData(
      {
        ...valid,
        patients: [
          {
            ...sarah,
            practices: [
              { ods: 'L85901', from: '2010-01-01', to: '2025-06-30' },
              { ods: 'L85901', from: '2025-07-01' },
            ],
          },
        ],
      },
      NAMES,
    );
    expect(result.ok).toBe(true);
  });

  it('reports duplicates and missing references even in records that fail for another reason', () => {
    const problems = problemsOf({
      ...valid,
      patients: [sarah, { ...sarah, birthDate: 'yesterday', practices: [{ ods: 'L99999', from: '2020-01-01' }] }],
    });
    expect(problems).toEqual([
      'patients.json[1].birthDate: must be a date as YYYY-MM-DD',
      'patients.json[1].nhsNumber: duplicates the NHS number of record 0',
      'patients.json[1].practices[0].ods: is not in practices.json',
    ]);
  });

  it('a reference to a record that is invalid for another reason is not reported as missing', () => {
    const problems = problemsOf({ ...valid, practices: [{ ...toneValley, name: '' }] });
    expect(problems).toEqual(['practices.json[0].name: must not be empty']);
  });

  it('does not report every reference as missing when the referenced file is not a list', () => {
    const problems = problemsOf({ ...valid, practices: { records: [toneValley] } });
    expect(problems).toEqual(['practices.json: must be a JSON array of records']);
  });

  it('enforces the record limits', () => {
    const many = Array.from({ length: DIRECTORY_LIMITS.localAuthorities + 1 }, () => somerset);
    expect(problemsOf({ localAuthorities: many, practices: [], patients: [] })).toEqual([
      `local-authorities.json: must have at most ${DIRECTORY_LIMITS.localAuthorities} records`,
    ]);
    const periods = Array.from({ length: DIRECTORY_LIMITS.registrationsPerPatient + 1 }, (_, i) => ({
      ods: 'L85901',
      from: `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`,
      to: `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-02`,
    }));
    expect(problemsOf({ ...valid, patients: [{ ...sarah, practices: periods }] })).toEqual([
      `patients.json[0].practices: must have at most ${DIRECTORY_LIMITS.registrationsPerPatient} periods`,
    ]);
  });
});

describe('DirectoryLoadError', () => {
  it('keeps at most DIRECTORY_LIMITS.reportedProblems problems and counts the rest', () => {
    const bad = Array.from({ length: DIRECTORY_LIMITS.reportedProblems + 7 }, () => 'x');
    let error: DirectoryLoadError | undefined;
    try {
      createDirectorySnapshot({ ...valid, patients: bad });
    } catch (caught) {
      error = caught as DirectoryLoadError;
    }
    expect(error?.problemCount).toBe(DIRECTORY_LIMITS.reportedProblems + 7);
    expect(error?.problems).toHaveLength(DIRECTORY_LIMITS.reportedProblems);
    expect(error?.message.split('\n')[0]).toBe(
      `Invalid directory reference data (${DIRECTORY_LIMITS.reportedProblems + 7} problems):`,
    );
    expect(error?.message.endsWith('  ... and 7 more')).toBe(true);
  });
});
