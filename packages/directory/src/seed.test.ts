import { readFile } from 'node:fs/promises';
import { incidentSubject, isTestNhsNumber, isValidNhsNumber, type IncidentSubject } from '@hub/contracts';
import { sampleIncident } from '@hub/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_FILES } from './env.ts';
import { loadFileDirectory, type FileDirectory } from './file-directory.ts';
import { incidentDate, resolveSubject } from './resolve.ts';

/*
 * The committed synthetic seed (infra/seed) loads cleanly and its notable records behave as infra/seed/README.md
 * says. Reading the seed files is the only I/O.
 */

let directory: FileDirectory;
beforeAll(async () => {
  directory = await loadFileDirectory({ files: SEED_FILES });
});

const DATE = '2026-11-21';

function subject(
  fields: { nhsNumber?: string; given: string; family: string; birthDate: string; postcode?: string },
  ref = 's1',
): IncidentSubject {
  return incidentSubject.parse({
    ref,
    role: 'victim',
    name: { given: fields.given, family: fields.family },
    birthDate: fields.birthDate,
    ...(fields.nhsNumber === undefined ? {} : { nhsNumber: fields.nhsNumber }),
    ...(fields.postcode === undefined ? {} : { postcode: fields.postcode }),
  });
}

describe('infra/seed', () => {
  it('loads: 44 patients, 6 practices, 2 local authorities', () => {
    expect(directory.current().counts).toEqual({ patients: 44, practices: 6, localAuthorities: 2 });
  });

  it('uses only NHS numbers in the 999 test range, with valid check digits', async () => {
    const patients = JSON.parse(await readFile(SEED_FILES.patients, 'utf8')) as { nhsNumber: string }[];
    expect(patients).toHaveLength(44);
    for (const { nhsNumber } of patients) {
      expect(isTestNhsNumber(nhsNumber)).toBe(true);
      expect(isValidNhsNumber(nhsNumber)).toBe(true);
    }
  });

  it('has Somerset and Bristol with their inboxes, and practices in each', async () => {
    expect((await directory.localAuthority('E06000066'))?.inboxes.marac).toBe('marac:E06000066');
    expect((await directory.localAuthority('E06000023'))?.inboxes.exceptions).toBe('exceptions:E06000023');
    const las = await Promise.all(
      ['L85901', 'L85902', 'L85903', 'L85904', 'L81901', 'L81902'].map(
        async (ods) => (await directory.practice(ods))?.localAuthority,
      ),
    );
    expect(las).toEqual(['E06000066', 'E06000066', 'E06000066', 'E06000066', 'E06000023', 'E06000023']);
  });

  it.each([
    [
      'victim by NHS number',
      { nhsNumber: '9991001018', given: 'Sarah', family: 'Whitlock', birthDate: '1991-04-12' },
      'L85901',
      'nhs-number',
    ],
    [
      'perpetrator by trace',
      { given: 'Daniel', family: 'Whitlock', birthDate: '1988-09-30', postcode: 'TA1 3RE' },
      'L85904',
      'demographic-trace',
    ],
    [
      'first child by trace',
      { given: 'Mia', family: 'Whitlock', birthDate: '2016-06-03', postcode: 'TA1 3RE' },
      'L85901',
      'demographic-trace',
    ],
    [
      'second child by NHS number',
      { nhsNumber: '9991001042', given: 'Leo', family: 'Whitlock', birthDate: '2020-02-14' },
      'L85902',
      'nhs-number',
    ],
    [
      'the mother',
      { nhsNumber: '9991002065', given: 'Chloe', family: 'Parsons', birthDate: '1999-12-01' },
      'L85902',
      'nhs-number',
    ],
    [
      'accent and apostrophe',
      { given: 'ZOE', family: 'OBRIEN', birthDate: '2001-07-22', postcode: 'bs34aq' },
      'L81901',
      'demographic-trace',
    ],
    [
      'accents and a space',
      { given: 'Sean', family: 'O Murchu', birthDate: '1983-02-11', postcode: 'BS1 6QH' },
      'L81901',
      'demographic-trace',
    ],
    [
      'hyphen',
      { given: 'amelia', family: 'fox hartley', birthDate: '1977-06-25', postcode: 'TA1 1XX' },
      'L85901',
      'demographic-trace',
    ],
    [
      'one twin',
      { given: 'Ava', family: 'Turner', birthDate: '2018-03-15', postcode: 'BS4 2DD' },
      'L81901',
      'demographic-trace',
    ],
    [
      'one James Smith by NHS number',
      { nhsNumber: '9992001046', given: 'James', family: 'Smith', birthDate: '1990-01-01' },
      'L81901',
      'nhs-number',
    ],
    [
      'the superseding Kyle Benson number',
      { nhsNumber: '9992001089', given: 'Kyle', family: 'Benson', birthDate: '1993-07-07' },
      'L81902',
      'nhs-number',
    ],
    [
      'no postcode, by NHS number',
      { nhsNumber: '9992002026', given: 'Ryan', family: 'Cole', birthDate: '1986-08-08' },
      'L81901',
      'nhs-number',
    ],
  ] as const)('matched: %s', async (_label, fields, practiceOds, matchedBy) => {
    const result = await resolveSubject(directory, subject(fields), DATE);
    expect(result).toMatchObject({ outcome: 'matched', practiceOds, matchedBy });
  });

  it.each([
    [
      'restricted',
      { nhsNumber: '9991002022', given: 'Hannah', family: 'Reeve', birthDate: '1994-08-19' },
      'restricted-record',
    ],
    [
      'restricted child (CP exception)',
      { nhsNumber: '9991002081', given: 'Rosie', family: 'Hale', birthDate: '2014-09-21' },
      'restricted-record',
    ],
    [
      'child whose registration ended (CP exception)',
      { nhsNumber: '9991002073', given: 'Poppy', family: 'Lane', birthDate: '2017-04-09' },
      'no-registered-practice',
    ],
    [
      'registration ended',
      { nhsNumber: '9991002030', given: 'Tom', family: 'Ashdown', birthDate: '1979-03-05' },
      'no-registered-practice',
    ],
    [
      'never registered',
      { given: 'Aleksander', family: 'Nowak', birthDate: '1996-10-17', postcode: 'BS5 6QT' },
      'no-registered-practice',
    ],
    [
      'same name, birth date, postcode',
      { given: 'James', family: 'Smith', birthDate: '1990-01-01', postcode: 'BS5 6NQ' },
      'multiple-matches',
    ],
    [
      'deceased, by NHS number',
      { nhsNumber: '9991002057', given: 'Margaret', family: 'Ellis', birthDate: '1942-05-09' },
      'inactive-record',
    ],
    [
      'deceased, by trace',
      { given: 'Margaret', family: 'Ellis', birthDate: '1942-05-09', postcode: 'TA4 3BB' },
      'no-match',
    ],
    [
      'superseded number',
      { nhsNumber: '9992001070', given: 'Kyle', family: 'Benson', birthDate: '1993-07-07' },
      'inactive-record',
    ],
    [
      'superseded and successor, by trace',
      { given: 'Kyle', family: 'Benson', birthDate: '1993-07-07', postcode: 'BS5 7AA' },
      'multiple-matches',
    ],
    [
      'no postcode in the record, by trace',
      { given: 'Ryan', family: 'Cole', birthDate: '1986-08-08', postcode: 'BS1 1AA' },
      'no-match',
    ],
    [
      'wrong birth date for the number',
      { nhsNumber: '9991001018', given: 'Sarah', family: 'Whitlock', birthDate: '1991-12-04' },
      'nhs-number-mismatch',
    ],
  ] as const)('exception: %s', async (_label, fields, reason) => {
    expect(await resolveSubject(directory, subject(fields), DATE)).toEqual({ ref: 's1', outcome: 'exception', reason });
  });

  it.each([
    ['2025-06-30', 'L85902'],
    ['2025-07-01', 'L85901'],
  ])('the patient who changed practice is at the right one on %s', async (onDate, practiceOds) => {
    const priya = subject({ nhsNumber: '9991002014', given: 'Priya', family: 'Sharma', birthDate: '1985-11-02' });
    expect(await resolveSubject(directory, priya, onDate)).toMatchObject({ outcome: 'matched', practiceOds });
  });

  it("resolves @hub/testkit's sampleIncident(): the victim matches, the perpetrator cannot be traced", async () => {
    const incident = sampleIncident();
    const onDate = incidentDate(incident.occurredAt);
    const results = await Promise.all(incident.subjects.map((s) => resolveSubject(directory, s, onDate)));
    expect(results).toEqual([
      { ref: 'S1', outcome: 'matched', nhsNumber: '9990000018', practiceOds: 'L85901', matchedBy: 'nhs-number' },
      { ref: 'S2', outcome: 'exception', reason: 'insufficient-demographics' },
    ]);
  });
});
