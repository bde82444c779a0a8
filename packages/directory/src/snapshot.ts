import { createHash } from 'node:crypto';
import { recipientOf } from '@hub/contracts';
import type {
  DirectoryPatient,
  DirectorySnapshot,
  DirectoryVersion,
  LocalAuthority,
  Practice,
  RegistrationPeriod,
  TraceQuery,
  TraceResult,
} from './directory.ts';
import { normaliseName, traceKey } from './normalise.ts';
import { DirectoryLoadError } from './problems.ts';
import type { PatientRecord } from './schema.ts';
import {
  validateDirectoryData,
  type DirectoryRecords,
  type DirectorySourceData,
  type DirectorySourceNames,
} from './validate.ts';

interface TraceEntry {
  readonly family: string;
  readonly given: string;
  readonly postcode: string | undefined;
  readonly patient: DirectoryPatient;
}

/**
 * Builds the indexes once for a validated set of records and answers from them. Everything returned is frozen
 * and shared, so no caller can change what another sees. Lookups are synchronous under the async interface.
 */
export function buildSnapshot(records: DirectoryRecords, version: DirectoryVersion): DirectorySnapshot {
  const byNhsNumber = new Map<string, DirectoryPatient>();
  // Keyed by birth date (already normalised YYYY-MM-DD by the schema): a handful of people share one.
  const byBirthDate = new Map<string, TraceEntry[]>();
  for (const record of records.patients) {
    const patient = patientView(record);
    byNhsNumber.set(record.nhsNumber, patient);
    const entry: TraceEntry = {
      family: normaliseName(record.name.family),
      given: normaliseName(record.name.given),
      // A restricted record is still found by its postcode (as PDS does), but never returned with it.
      postcode: record.postcode,
      patient,
    };
    const bucket = byBirthDate.get(record.birthDate);
    if (bucket === undefined) byBirthDate.set(record.birthDate, [entry]);
    else bucket.push(entry);
  }

  const practices = new Map<string, Practice>(
    records.practices.map((record) => [record.ods, Object.freeze({ ...record, inbox: recipientOf('gp', record.ods) })]),
  );
  const localAuthorities = new Map<string, LocalAuthority>(
    records.localAuthorities.map((record) => [
      record.ons,
      Object.freeze({
        ...record,
        inboxes: Object.freeze({
          marac: recipientOf('marac', record.ons),
          exceptions: recipientOf('exceptions', record.ons),
          la: recipientOf('la', record.ons),
        }),
      }),
    ]),
  );

  function trace(query: TraceQuery): TraceResult {
    const key = traceKey(query);
    if (key === undefined) return { kind: 'none' };
    const candidates = (byBirthDate.get(key.birthDate) ?? []).filter(
      (entry) => entry.family === key.family && entry.given === key.given && entry.postcode === key.postcode,
    );
    const [first, second] = candidates;
    if (first === undefined) return { kind: 'none' };
    if (second !== undefined) return { kind: 'multiple' };
    return { kind: 'unique', patient: first.patient };
  }

  return Object.freeze({
    version: Object.freeze({ ...version }),
    counts: Object.freeze({
      patients: records.patients.length,
      practices: records.practices.length,
      localAuthorities: records.localAuthorities.length,
    }),
    findByNhsNumber: (nhsNumber: string) => Promise.resolve(byNhsNumber.get(nhsNumber)),
    trace: (query: TraceQuery) => Promise.resolve(trace(query)),
    practice: (ods: string) => Promise.resolve(practices.get(ods)),
    localAuthority: (ons: string) => Promise.resolve(localAuthorities.get(ons)),
  });
}

/** What the directory returns for a record: a restricted record comes back without postcode or practices. */
function patientView(record: PatientRecord): DirectoryPatient {
  const base = {
    nhsNumber: record.nhsNumber,
    name: Object.freeze({ given: record.name.given, family: record.name.family }),
    birthDate: record.birthDate,
    gender: record.gender ?? 'unknown',
    restricted: record.restricted,
    active: record.active,
  };
  if (record.restricted) return Object.freeze({ ...base, practices: Object.freeze([]) });
  const practices = Object.freeze(record.practices.map(periodView));
  return Object.freeze(
    record.postcode === undefined ? { ...base, practices } : { ...base, postcode: record.postcode, practices },
  );
}

function periodView(period: PatientRecord['practices'][number]): RegistrationPeriod {
  return Object.freeze(
    period.to === undefined
      ? { ods: period.ods, from: period.from }
      : { ods: period.ods, from: period.from, to: period.to },
  );
}

export interface DirectorySnapshotOptions {
  /** Names used in problems; default `patients`, `practices`, `local-authorities`. */
  readonly names?: DirectorySourceNames;
  /** Default: now. */
  readonly loadedAt?: Date;
}

export const IN_MEMORY_SOURCE_NAMES: DirectorySourceNames = {
  patients: 'patients',
  practices: 'practices',
  localAuthorities: 'local-authorities',
};

/**
 * A directory over in-memory data (already parsed JSON), validated exactly as the files are: for tests and for
 * services that get reference data another way. Throws `DirectoryLoadError` listing every problem.
 */
export function createDirectorySnapshot(
  data: DirectorySourceData,
  options: DirectorySnapshotOptions = {},
): DirectorySnapshot {
  const result = validateDirectoryData(data, options.names ?? IN_MEMORY_SOURCE_NAMES);
  if (!result.ok) throw new DirectoryLoadError(result.problems);
  const contentHash = hashSources([
    JSON.stringify(data.patients),
    JSON.stringify(data.practices),
    JSON.stringify(data.localAuthorities),
  ]);
  return buildSnapshot(result.records, {
    contentHash,
    loadedAt: (options.loadedAt ?? new Date()).toISOString(),
  });
}

/** sha-256 over the sources in a fixed order, each length-prefixed so no two different sets hash alike. */
export function hashSources(contents: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const content of contents) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
