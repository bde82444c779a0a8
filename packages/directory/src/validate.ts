import { nhsNumber, odsCode, onsCode } from '@hub/contracts';
import type { z } from 'zod';
import type { DirectoryProblem } from './problems.ts';
import {
  DIRECTORY_LIMITS,
  localAuthorityRecord,
  patientRecord,
  practiceRecord,
  type LocalAuthorityRecord,
  type PatientRecord,
  type PracticeRecord,
} from './schema.ts';

/*
 * Pure validation of the three sources once parsed from JSON: each record against its schema, then the checks
 * across records and files. Every problem is collected; nothing stops at the first. Cross-checks use the
 * identifiers that are themselves well-formed even in records that fail for another reason, so one bad field
 * does not hide a duplicate or cause a spurious "not in the practices file".
 */

export const DIRECTORY_SOURCES = ['patients', 'practices', 'localAuthorities'] as const;
export type DirectorySource = (typeof DIRECTORY_SOURCES)[number];

/** The three sources as parsed JSON: each must be an array of records. */
export type DirectorySourceData = Readonly<Record<DirectorySource, unknown>>;
/** The names problems use for each source (file names for files). */
export type DirectorySourceNames = Readonly<Record<DirectorySource, string>>;

export interface DirectoryRecords {
  readonly patients: readonly PatientRecord[];
  readonly practices: readonly PracticeRecord[];
  readonly localAuthorities: readonly LocalAuthorityRecord[];
}

export type ValidationResult =
  | { readonly ok: true; readonly records: DirectoryRecords }
  | { readonly ok: false; readonly problems: readonly DirectoryProblem[] };

export function validateDirectoryData(data: DirectorySourceData, names: DirectorySourceNames): ValidationResult {
  const problems: DirectoryProblem[] = [];

  const localAuthorities = parseList(data.localAuthorities, localAuthorityRecord, {
    file: names.localAuthorities,
    maxRecords: DIRECTORY_LIMITS.localAuthorities,
    problems,
  });
  const practices = parseList(data.practices, practiceRecord, {
    file: names.practices,
    maxRecords: DIRECTORY_LIMITS.practices,
    problems,
  });
  const patients = parseList(data.patients, patientRecord, {
    file: names.patients,
    maxRecords: DIRECTORY_LIMITS.patients,
    problems,
  });

  const onsCodes = codesOf(localAuthorities.raw, 'ons', onsCode);
  const odsCodes = codesOf(practices.raw, 'ods', odsCode);
  const nhsNumbers = codesOf(patients.raw, 'nhsNumber', nhsNumber);

  reportDuplicates(onsCodes, names.localAuthorities, 'ons', 'ONS code', problems);
  reportDuplicates(odsCodes, names.practices, 'ods', 'ODS code', problems);
  reportDuplicates(nhsNumbers, names.patients, 'nhsNumber', 'NHS number', problems);

  // References are checked only against a list that could be read at all; otherwise every reference would be
  // reported as missing on top of the real problem.
  if (localAuthorities.readable) {
    const known = new Set(onsCodes.filter((code) => code !== undefined));
    codesOf(practices.raw, 'localAuthority', onsCode).forEach((code, index) => {
      if (code !== undefined && !known.has(code)) {
        problems.push(problemAt(names.practices, index, 'localAuthority', `is not in ${names.localAuthorities}`));
      }
    });
  }
  if (practices.readable) {
    const known = new Set(odsCodes.filter((code) => code !== undefined));
    patients.raw.forEach((raw, index) => {
      const periods = isRecord(raw) ? raw['practices'] : undefined;
      if (!Array.isArray(periods)) return;
      periods.slice(0, DIRECTORY_LIMITS.registrationsPerPatient).forEach((period: unknown, periodIndex) => {
        const code = isRecord(period) ? odsCode.safeParse(period['ods']).data : undefined;
        if (code !== undefined && !known.has(code)) {
          problems.push(
            problemAt(names.patients, index, `practices[${periodIndex}].ods`, `is not in ${names.practices}`),
          );
        }
      });
    });
  }

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems, names) };
  return {
    ok: true,
    records: {
      patients: patients.records.filter((record) => record !== undefined),
      practices: practices.records.filter((record) => record !== undefined),
      localAuthorities: localAuthorities.records.filter((record) => record !== undefined),
    },
  };
}

interface ParsedList<T> {
  /** false when the source is not an array (or too long to read). */
  readonly readable: boolean;
  readonly raw: readonly unknown[];
  /** By index; `undefined` where the record is invalid. */
  readonly records: readonly (T | undefined)[];
}

function parseList<T>(
  source: unknown,
  schema: z.ZodType<T>,
  target: { file: string; maxRecords: number; problems: DirectoryProblem[] },
): ParsedList<T> {
  const { file, maxRecords, problems } = target;
  if (!Array.isArray(source)) {
    problems.push({ file, problem: 'must be a JSON array of records' });
    return { readable: false, raw: [], records: [] };
  }
  if (source.length > maxRecords) {
    problems.push({ file, problem: `must have at most ${maxRecords} records` });
    return { readable: false, raw: [], records: [] };
  }
  const raw: readonly unknown[] = source;
  const records = raw.map((item, index) => {
    const result = schema.safeParse(item, { error: requiredMessage });
    if (result.success) return result.data;
    for (const issue of result.error.issues) problems.push(...toProblems(issue, item, file, index));
    return undefined;
  });
  return { readable: true, raw, records };
}

/** zod's own message for a missing field reads "expected string, received undefined"; say it plainly. */
function requiredMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;
}

/** A field name shown in a problem only when it looks like one; an unknown key could be anything. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const HIDDEN = '[value hidden]';
const MIN_SCRUBBED_LENGTH = 3;

function toProblems(issue: z.core.$ZodIssue, record: unknown, file: string, index: number): DirectoryProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      problemAt(
        file,
        index,
        formatPath([...issue.path, FIELD_NAME.test(key) ? key : '(unnamed)']),
        'is not a known field',
      ),
    );
  }
  // Our messages and zod's never contain the value; cut it out anyway should a future message slip.
  const value = valueAt(record, issue.path);
  const message =
    typeof value === 'string' && value.length >= MIN_SCRUBBED_LENGTH
      ? issue.message.replaceAll(value, HIDDEN)
      : issue.message;
  return [problemAt(file, index, issue.path.length > 0 ? formatPath(issue.path) : undefined, message)];
}

function problemAt(file: string, index: number, field: string | undefined, problem: string): DirectoryProblem {
  return field === undefined ? { file, index, problem } : { file, index, field, problem };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, position) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = String(segment);
      return position === 0 ? name : `.${name}`;
    })
    .join('');
}

function valueAt(record: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = record;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each record's identifier when it is well-formed, whatever else is wrong with the record. */
function codesOf(raw: readonly unknown[], key: string, schema: z.ZodType<string>): (string | undefined)[] {
  return raw.map((item) => (isRecord(item) ? schema.safeParse(item[key]).data : undefined));
}

function reportDuplicates(
  codes: readonly (string | undefined)[],
  file: string,
  field: string,
  label: string,
  problems: DirectoryProblem[],
): void {
  const first = new Map<string, number>();
  codes.forEach((code, index) => {
    if (code === undefined) return;
    const earlier = first.get(code);
    if (earlier === undefined) first.set(code, index);
    else problems.push(problemAt(file, index, field, `duplicates the ${label} of record ${earlier}`));
  });
}

/** Problems in file order (as the sources are listed), then by record; stable within a record. */
function sortProblems(problems: DirectoryProblem[], names: DirectorySourceNames): DirectoryProblem[] {
  const order = DIRECTORY_SOURCES.map((source) => names[source]);
  return problems
    .map((problem, position) => ({ problem, position }))
    .sort(
      (a, b) =>
        order.indexOf(a.problem.file) - order.indexOf(b.problem.file) ||
        (a.problem.index ?? -1) - (b.problem.index ?? -1) ||
        a.position - b.position,
    )
    .map(({ problem }) => problem);
}
