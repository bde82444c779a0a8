/**
 * Writes the synthetic reference data for @hub/directory: patients.json, practices.json and
 * local-authorities.json beside this file. Everything here is fictional: people, practices, ODS codes,
 * postcodes, phone numbers (Ofcom's drama ranges). NHS numbers are only in the 999 test range, with check
 * digits computed here (independently of @hub/contracts, so the directory's own validation cross-checks them).
 *
 *   node infra/seed/generate.ts          # rewrite the three files (commit the output)
 *
 * `generate.test.ts` fails when the committed files differ from what this script writes. README.md lists the
 * notable records by purpose; keep it in step when you change the people below.
 */
import { writeFileSync } from 'node:fs';

/** '999' + a 6-digit serial + the modulus-11 check digit. A serial whose check value is 10 is refused. */
export function testNhsNumber(serial: string): string {
  if (!/^\d{6}$/.test(serial)) throw new Error(`serial must be 6 digits: ${serial}`);
  const digits = `999${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) throw new Error(`serial ${serial} gives check value 10 (no valid NHS number): pick another`);
  return `${digits}${check === 11 ? 0 : check}`;
}

const SOMERSET = 'E06000066';
const BRISTOL = 'E06000023';

const LOCAL_AUTHORITIES = [
  { ons: SOMERSET, name: 'Somerset Council', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
  { ons: BRISTOL, name: 'Bristol City Council', officeHoursPhone: '0117 496 0100', outOfHoursPhone: '0117 496 0199' },
];

const PRACTICES = [
  { ods: 'L85901', name: 'Tone Valley Medical Centre', postcode: 'TA1 2PX', localAuthority: SOMERSET },
  { ods: 'L85902', name: 'Parrett Bank Surgery', postcode: 'TA6 3LQ', localAuthority: SOMERSET },
  { ods: 'L85903', name: 'Hendford Hill Practice', postcode: 'BA20 2QA', localAuthority: SOMERSET },
  { ods: 'L85904', name: 'Quantock Edge Surgery', postcode: 'TA4 3AB', localAuthority: SOMERSET },
  { ods: 'L81901', name: 'Harbourside Health Centre', postcode: 'BS1 5LL', localAuthority: BRISTOL },
  { ods: 'L81902', name: 'Eastville Park Surgery', postcode: 'BS5 6NP', localAuthority: BRISTOL },
];

interface Period {
  ods: string;
  from: string;
  to?: string;
}

interface SeedPatient {
  serial: string;
  given: string;
  family: string;
  gender: 'male' | 'female' | 'other' | 'unknown';
  birthDate: string;
  postcode?: string;
  practices: Period[];
  restricted?: boolean;
  active?: boolean;
}

const since = (ods: string, from: string, to?: string): Period =>
  to === undefined ? { ods, from } : { ods, from, to };

function person(
  serial: string,
  [given, family, gender]: [string, string, SeedPatient['gender']],
  birthDate: string,
  postcode: string | undefined,
  practices: Period[],
  flags: { restricted?: boolean; active?: boolean } = {},
): SeedPatient {
  const address = postcode === undefined ? {} : { postcode };
  return { serial, given, family, gender, birthDate, ...address, practices, ...flags };
}

const PATIENTS: SeedPatient[] = [
  // The Whitlock family, one household in Taunton, across three practices: victim, perpetrator, two children.
  person('100101', ['Sarah', 'Whitlock', 'female'], '1991-04-12', 'TA1 3RE', [since('L85901', '2009-09-01')]),
  person('100102', ['Daniel', 'Whitlock', 'male'], '1988-09-30', 'TA1 3RE', [since('L85904', '2012-05-14')]),
  person('100103', ['Mia', 'Whitlock', 'female'], '2016-06-03', 'TA1 3RE', [since('L85901', '2016-06-20')]),
  person('100104', ['Leo', 'Whitlock', 'male'], '2020-02-14', 'TA1 3RE', [since('L85902', '2020-03-02')]),

  // Changed practice: L85902 up to and including 2025-06-30, L85901 from 2025-07-01.
  person('100201', ['Priya', 'Sharma', 'female'], '1985-11-02', 'TA1 4DY', [
    since('L85902', '2010-01-04', '2025-06-30'),
    since('L85901', '2025-07-01'),
  ]),
  // Restricted (S-flag): the file holds a postcode and practice; the directory returns neither.
  person('100202', ['Hannah', 'Reeve', 'female'], '1994-08-19', 'TA6 5HG', [since('L85902', '2015-01-05')], {
    restricted: true,
  }),
  // No current practice: registration ended 2024-12-31.
  person('100203', ['Tom', 'Ashdown', 'male'], '1979-03-05', 'BA20 1PL', [since('L85903', '2001-01-08', '2024-12-31')]),
  // Never registered with a practice.
  person('200101', ['Aleksander', 'Nowak', 'male'], '1996-10-17', 'BS5 6QT', []),
  // Two different people with the same name, birth date and postcode: a trace is multiple-matches.
  person('200103', ['James', 'Smith', 'male'], '1990-01-01', 'BS5 6NQ', [since('L81902', '2008-02-11')]),
  person('200104', ['James', 'Smith', 'male'], '1990-01-01', 'BS5 6NQ', [since('L81901', '2014-07-21')]),
  // Normalisation: accent and apostrophe; accents and a space in the family name; a hyphenated family name.
  person('200105', ['Zoë', "O'Brien", 'female'], '2001-07-22', 'BS3 4AQ', [since('L81901', '2019-09-02')]),
  person('200106', ['Seán', 'Ó Murchú', 'male'], '1983-02-11', 'BS1 6QH', [since('L81901', '2008-05-01')]),
  person('100204', ['Amelia', 'Fox-Hartley', 'female'], '1977-06-25', 'TA1 1XX', [since('L85901', '2003-10-13')]),
  // Inactive: deceased (registration ended at death).
  person(
    '100205',
    ['Margaret', 'Ellis', 'female'],
    '1942-05-09',
    'TA4 3BB',
    [since('L85904', '1998-04-01', '2025-02-10')],
    {
      active: false,
    },
  ),
  // Inactive: a superseded number (first record) and its successor, same person: a trace is multiple-matches.
  person('200107', ['Kyle', 'Benson', 'male'], '1993-07-07', 'BS5 7AA', [since('L81902', '2011-03-01')], {
    active: false,
  }),
  person('200108', ['Kyle', 'Benson', 'male'], '1993-07-07', 'BS5 7AA', [since('L81902', '2011-03-01')]),
  // A mother, for unborn child protection plans (held on the mother's NHS number).
  person('100206', ['Chloe', 'Parsons', 'female'], '1999-12-01', 'TA6 4RW', [since('L85902', '2018-02-01')]),
  // Children for child protection plans that cannot be routed to a practice: one whose registration ended
  // (no-registered-practice) and one with a restricted record (restricted-record).
  person('100207', ['Poppy', 'Lane', 'female'], '2017-04-09', 'TA2 7PB', [since('L85901', '2017-05-01', '2026-03-31')]),
  person('100208', ['Rosie', 'Hale', 'female'], '2014-09-21', 'TA6 5HG', [since('L85902', '2014-10-06')], {
    restricted: true,
  }),
  // Twins: same family name, birth date and postcode; the given name tells them apart.
  person('200109', ['Ava', 'Turner', 'female'], '2018-03-15', 'BS4 2DD', [since('L81901', '2018-04-03')]),
  person('200201', ['Isla', 'Turner', 'female'], '2018-03-15', 'BS4 2DD', [since('L81901', '2018-04-03')]),
  // No known address (no postcode): found by NHS number, never by trace.
  person('200202', ['Ryan', 'Cole', 'male'], '1986-08-08', undefined, [since('L81901', '2023-04-03')]),

  // The subjects of @hub/testkit's sampleIncident(): the victim (given with NHS number 9990000018) matches;
  // the perpetrator is given without NHS number or postcode, so the hub cannot trace him (no-match).
  person('000001', ['Alex', 'Tester', 'unknown'], '1990-04-12', 'TA1 1AA', [since('L85901', '2012-01-09')]),
  person('000002', ['Sam', 'Tester', 'male'], '1988-09-30', 'TA1 1AA', [since('L85904', '2012-01-09')]),

  // Everyone else: ordinary, active, registered.
  person('100301', ['Oliver', 'Hughes', 'male'], '1972-01-19', 'TA1 2QE', [since('L85901', '1995-03-06')]),
  person('100302', ['Emily', 'Carter', 'female'], '1989-05-23', 'TA2 7PB', [since('L85901', '2011-08-15')]),
  person('100303', ['Alfie', 'Kingdon', 'male'], '2019-12-12', 'TA2 8DL', [since('L85901', '2020-01-06')]),
  person('100304', ['George', 'Pike', 'male'], '1958-11-30', 'TA6 4RW', [since('L85902', '1983-06-01')]),
  person('100305', ['Lily', 'Marsh', 'female'], '2010-08-08', 'TA6 3PN', [since('L85902', '2010-08-23')]),
  person('100306', ['Harry', 'Gale', 'male'], '2004-04-04', 'BA20 1PL', [since('L85903', '2004-05-10')]),
  person('100311', ['Grace', 'Yeo', 'female'], '1995-09-14', 'BA20 2JF', [since('L85903', '2013-09-16')]),
  person('100308', ['Jack', 'Dyer', 'male'], '1966-03-21', 'BA21 4LS', [since('L85903', '1990-11-05')]),
  person('100309', ['Sophie', 'Bartlett', 'female'], '2013-01-29', 'TA4 3BB', [since('L85904', '2013-02-18')]),
  person('100401', ['Noah', 'Bartlett', 'male'], '2015-10-05', 'TA4 3BB', [since('L85904', '2015-10-26')]),
  person('100402', ['Ruth', 'Hembury', 'female'], '1950-07-04', 'TA4 4JT', [since('L85904', '1976-02-02')]),
  person('200203', ['Amara', 'Okafor', 'female'], '1992-02-02', 'BS2 9TL', [since('L81901', '2016-01-11')]),
  person('200204', ['Mohammed', 'Rahman', 'male'], '1980-06-15', 'BS5 6NQ', [since('L81902', '2005-09-19')]),
  person('200205', ['Fatima', 'Rahman', 'female'], '1983-09-09', 'BS5 6NQ', [since('L81902', '2006-01-09')]),
  person('200206', ['Yusuf', 'Rahman', 'male'], '2012-11-11', 'BS5 6NQ', [since('L81902', '2012-11-26')]),
  person('200207', ['Ella', 'Price', 'female'], '1998-03-03', 'BS3 4AQ', [since('L81901', '2016-09-26')]),
  person('200208', ['Callum', 'Reid', 'male'], '1975-12-25', 'BS4 2DD', [since('L81902', '2001-04-17')]),
  person('200301', ['Niamh', 'Kelly', 'female'], '2000-10-10', 'BS1 5TR', [since('L81901', '2018-09-24')]),
  person('200302', ['Isaac', 'Brooks', 'male'], '2008-05-17', 'BS5 7AA', [since('L81902', '2008-06-02')]),
  person('200303', ['Evie', 'Brooks', 'female'], '2011-02-21', 'BS5 7AA', [since('L81902', '2011-03-07')]),
];

/** The three files' exact text, keyed by file name. */
export function buildSeed(): Record<'patients.json' | 'practices.json' | 'local-authorities.json', string> {
  const patients = PATIENTS.map((patient) => ({
    nhsNumber: testNhsNumber(patient.serial),
    name: { given: patient.given, family: patient.family },
    gender: patient.gender,
    birthDate: patient.birthDate,
    ...(patient.postcode === undefined ? {} : { postcode: patient.postcode }),
    practices: patient.practices,
    restricted: patient.restricted ?? false,
    active: patient.active ?? true,
  }));
  const numbers = new Set(patients.map((patient) => patient.nhsNumber));
  if (numbers.size !== patients.length) throw new Error('two patients share a serial');
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'patients.json': json(patients),
    'practices.json': json(PRACTICES),
    'local-authorities.json': json(LOCAL_AUTHORITIES),
  };
}

if (import.meta.main) {
  for (const [name, text] of Object.entries(buildSeed())) {
    writeFileSync(new URL(name, import.meta.url), text);
    process.stdout.write(`wrote infra/seed/${name}\n`);
  }
}
