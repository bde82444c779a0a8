import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogs } from '@hub/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadFileDirectory, type DirectoryFiles } from './file-directory.ts';
import { DirectoryLoadError, formatProblem } from './problems.ts';

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
const parrettBank = { ods: 'L85902', name: 'Parrett Bank Surgery', postcode: 'TA6 3LQ', localAuthority: 'E06000066' };
const sarah = {
  nhsNumber: '9991001018',
  name: { given: 'Sarah', family: 'Whitlock' },
  birthDate: '1991-04-12',
  gender: 'female',
  postcode: 'TA1 3RE',
  practices: [{ ods: 'L85901', from: '2009-09-01' }],
  restricted: false,
  active: true,
};
const daniel = {
  ...sarah,
  nhsNumber: '9991001026',
  name: { given: 'Daniel', family: 'Whitlock' },
  birthDate: '1988-09-30',
};

let dir: string;
let files: DirectoryFiles;
let clock: Date;
const now = () => clock;

async function write(contents: { patients?: unknown; practices?: unknown; localAuthorities?: unknown }) {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  if (contents.patients !== undefined) await writeFile(files.patients, text(contents.patients));
  if (contents.practices !== undefined) await writeFile(files.practices, text(contents.practices));
  if (contents.localAuthorities !== undefined) await writeFile(files.localAuthorities, text(contents.localAuthorities));
}

async function loadError(): Promise<DirectoryLoadError> {
  try {
    await loadFileDirectory({ files, now });
  } catch (error) {
    if (error instanceof DirectoryLoadError) return error;
    throw error;
  }
  throw new Error('expected the load to fail');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-directory-'));
  files = {
    patients: join(dir, 'patients.json'),
    practices: join(dir, 'practices.json'),
    localAuthorities: join(dir, 'local-authorities.json'),
  };
  clock = new Date('2026-11-21T09:00:00.000Z');
  await write({ patients: [sarah], practices: [toneValley, parrettBank], localAuthorities: [somerset] });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadFileDirectory', () => {
  it('loads the files, indexes them and exposes a version', async () => {
    const directory = await loadFileDirectory({ files, now });
    expect(directory.version.loadedAt).toBe('2026-11-21T09:00:00.000Z');
    expect(directory.version.contentHash).toMatch(/^[a-f0-9]{64}$/);
    expect(directory.current().counts).toEqual({ patients: 1, practices: 2, localAuthorities: 1 });
    expect((await directory.findByNhsNumber('9991001018'))?.name).toEqual({ given: 'Sarah', family: 'Whitlock' });
    expect(await directory.findByNhsNumber('9991001026')).toBeUndefined();
    expect(await directory.practice('L85902')).toEqual({ ...parrettBank, inbox: 'gp:L85902' });
    expect(await directory.localAuthority('E06000066')).toEqual({
      ...somerset,
      inboxes: { marac: 'marac:E06000066', exceptions: 'exceptions:E06000066', la: 'la:E06000066' },
    });
    expect(await directory.localAuthority('E06000023')).toBeUndefined();
  });

  it('gives the same content the same hash, and different content a different one', async () => {
    const first = await loadFileDirectory({ files, now });
    const again = await loadFileDirectory({ files, now });
    expect(again.version.contentHash).toBe(first.version.contentHash);
    await write({ patients: [sarah, daniel] });
    const changed = await loadFileDirectory({ files, now });
    expect(changed.version.contentHash).not.toBe(first.version.contentHash);
  });

  it('returns frozen records, so no caller can change what another sees', async () => {
    const directory = await loadFileDirectory({ files, now });
    const patient = await directory.findByNhsNumber('9991001018');
    expect(Object.isFrozen(patient)).toBe(true);
    expect(Object.isFrozen(patient?.practices)).toBe(true);
    expect(Object.isFrozen(await directory.practice('L85901'))).toBe(true);
  });

  it('reads a record without a gender as unknown', async () => {
    const { gender: _gender, ...withoutGender } = sarah;
    await write({ patients: [withoutGender] });
    const directory = await loadFileDirectory({ files, now });
    expect((await directory.findByNhsNumber('9991001018'))?.gender).toBe('unknown');
  });

  it('returns a restricted record without postcode or practices', async () => {
    await write({ patients: [{ ...sarah, restricted: true }] });
    const directory = await loadFileDirectory({ files, now });
    const patient = await directory.findByNhsNumber('9991001018');
    expect(patient).toEqual({
      nhsNumber: '9991001018',
      name: { given: 'Sarah', family: 'Whitlock' },
      birthDate: '1991-04-12',
      gender: 'female', // PDS keeps it on a restricted record
      practices: [],
      restricted: true,
      active: true,
    });
    expect(patient).not.toHaveProperty('postcode');
    // Still found by a trace on its postcode (as PDS does), and still returned without it.
    const traced = await directory.trace({
      family: 'Whitlock',
      given: 'Sarah',
      birthDate: '1991-04-12',
      postcode: 'TA1 3RE',
    });
    expect(traced).toEqual({ kind: 'unique', patient });
  });

  it('lists problems from every file at once without echoing their content', async () => {
    await write({
      patients: '[{"nhsNumber": "9991001018", "name": Sarah Whitlock}]',
      practices: '[\n  {"ods": "L85901",\n  "name": "Tone Valley"\n',
    });
    await unlink(files.localAuthorities);
    const error = await loadError();
    expect(error.problems.map(formatProblem)).toEqual([
      'patients.json: is not valid JSON',
      'practices.json: is not valid JSON (line 4 column 1)',
      'local-authorities.json: cannot be read (ENOENT)',
    ]);
    expect(error.message).not.toContain('Sarah');
    expect(error.message).not.toContain('Tone Valley');
    expect(error.message).not.toContain(dir); // the file's name, not its path
  });

  it('refuses a file that is not UTF-8', async () => {
    await writeFile(files.patients, Buffer.from([0x5b, 0xff, 0xfe, 0x5d]));
    const error = await loadError();
    expect(error.problems.map(formatProblem)).toEqual(['patients.json: is not valid UTF-8']);
  });

  it('accepts a byte-order mark', async () => {
    await writeFile(files.patients, `\uFEFF${JSON.stringify([sarah])}`);
    const directory = await loadFileDirectory({ files, now });
    expect(directory.current().counts.patients).toBe(1);
  });

  it('refuses a directory where a file should be', async () => {
    files = { ...files, patients: dir };
    const error = await loadError();
    expect(error.problems.map(formatProblem)).toEqual([`${files.patients.split('/').pop() ?? ''}: is not a file`]);
  });

  it('validates the content and the cross-checks', async () => {
    await write({ patients: [sarah, { ...sarah, practices: [{ ods: 'L85999', from: '2009-09-01' }] }] });
    const error = await loadError();
    expect(error.problems.map(formatProblem)).toEqual([
      'patients.json[1].nhsNumber: duplicates the NHS number of record 0',
      'patients.json[1].practices[0].ods: is not in practices.json',
    ]);
  });
});

describe('reload', () => {
  it('swaps in new valid data and reports the previous version', async () => {
    const directory = await loadFileDirectory({ files, now });
    const before = directory.current();
    await write({ patients: [{ ...sarah, practices: [{ ods: 'L85902', from: '2009-09-01' }] }, daniel] });
    clock = new Date('2026-11-21T10:00:00.000Z');

    const result = await directory.reload();

    expect(result.outcome).toBe('reloaded');
    if (result.outcome !== 'reloaded') return;
    expect(result.previous).toEqual(before.version);
    expect(result.version.loadedAt).toBe('2026-11-21T10:00:00.000Z');
    expect(result.version.contentHash).not.toBe(before.version.contentHash);
    expect(directory.version).toEqual(result.version);
    expect((await directory.findByNhsNumber('9991001018'))?.practices).toEqual([{ ods: 'L85902', from: '2009-09-01' }]);
    expect(await directory.findByNhsNumber('9991001026')).toBeDefined();
    // A snapshot taken before keeps answering from the data it was built on.
    expect((await before.findByNhsNumber('9991001018'))?.practices).toEqual([{ ods: 'L85901', from: '2009-09-01' }]);
    expect(await before.findByNhsNumber('9991001026')).toBeUndefined();
  });

  it('keeps serving the old data when the new files are invalid, and says why', async () => {
    const directory = await loadFileDirectory({ files, now });
    const served = directory.version;
    await write({ patients: [sarah, { ...daniel, birthDate: '1988-02-30' }], practices: [toneValley] });
    clock = new Date('2026-11-21T10:00:00.000Z');

    const result = await directory.reload();

    expect(result).toEqual({
      outcome: 'rejected',
      version: served,
      problemCount: 1,
      problems: [{ file: 'patients.json', index: 1, field: 'birthDate', problem: 'must be a date as YYYY-MM-DD' }],
    });
    expect(directory.version).toEqual(served);
    expect(await directory.findByNhsNumber('9991001026')).toBeUndefined();
    expect(await directory.practice('L85902')).toBeDefined(); // the practices file was replaced too, but not taken

    // Fixed: the next reload takes it.
    await write({ patients: [sarah, daniel] });
    const fixed = await directory.reload();
    expect(fixed.outcome).toBe('reloaded');
    expect(await directory.findByNhsNumber('9991001026')).toBeDefined();
    expect(await directory.practice('L85902')).toBeUndefined();
  });

  it('keeps serving the old data when a file has gone', async () => {
    const directory = await loadFileDirectory({ files, now });
    await unlink(files.practices);
    const result = await directory.reload();
    expect(result.outcome).toBe('rejected');
    if (result.outcome !== 'rejected') return;
    expect(result.problems.map(formatProblem)).toEqual(['practices.json: cannot be read (ENOENT)']);
    expect(await directory.practice('L85901')).toBeDefined();
  });

  it('leaves the version (and its loadedAt) alone when the content has not changed', async () => {
    const directory = await loadFileDirectory({ files, now });
    const served = directory.version;
    clock = new Date('2026-11-22T09:00:00.000Z');
    expect(await directory.reload()).toEqual({ outcome: 'unchanged', version: served });
    expect(directory.version).toBe(served);
  });

  it('runs reloads one at a time, in call order', async () => {
    const directory = await loadFileDirectory({ files, now });
    await write({ patients: [sarah, daniel] });
    const [first, second] = await Promise.all([directory.reload(), directory.reload()]);
    // Run concurrently, both would have seen the old hash and both would have reloaded.
    expect(first.outcome).toBe('reloaded');
    expect(second).toEqual({ outcome: 'unchanged', version: first.version });
  });

  it('logs versions, counts and problems, never personal data', async () => {
    const logs = captureLogs('directory-test');
    const directory = await loadFileDirectory({ files, now, logger: logs.logger });
    await write({ patients: [sarah, { ...daniel, nhsNumber: '9991001019' }] });
    await directory.reload();
    await write({ patients: [sarah, daniel] });
    await directory.reload();

    expect(logs.lines().map((line) => [line['level'], line['msg']])).toEqual([
      ['info', 'directory loaded'],
      ['warn', 'directory reload rejected; still serving the previous data'],
      ['info', 'directory reloaded'],
    ]);
    expect(logs.lines()[1]?.['problems']).toEqual([
      'patients.json[1].nhsNumber: is not a valid NHS number (check digit)',
    ]);
    for (const value of [
      '9991001018',
      '9991001019',
      '9991001026',
      'Sarah',
      'Daniel',
      'Whitlock',
      '1991-04-12',
      'TA1 3RE',
    ]) {
      expect(logs.text()).not.toContain(value);
    }
  });
});
