import type { Recipient } from '@hub/contracts';
import type { PatientGender } from './schema.ts';

/**
 * What the hub asks of a patient directory. The file-backed directory (`loadFileDirectory`) is one
 * implementation; a PDS FHIR adapter is another (see README "A PDS adapter"). Every method is async so a remote
 * implementation fits; none of them returns more about a person than the hub needs to route.
 */
export interface PatientDirectory {
  /** The record for this NHS number, active or not; `undefined` when the directory does not know it. */
  findByNhsNumber(nhsNumber: string): Promise<DirectoryPatient | undefined>;
  /**
   * A demographic trace: records whose family name, given name, birth date and postcode all equal the query's
   * after normalisation (`normaliseName`, `normalisePostcode`). Never fuzzy, never partial. Inactive records count.
   */
  trace(query: TraceQuery): Promise<TraceResult>;
  practice(ods: string): Promise<Practice | undefined>;
  localAuthority(ons: string): Promise<LocalAuthority | undefined>;
}

export interface TraceQuery {
  readonly family: string;
  readonly given: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly postcode: string;
}

/**
 * 0, 1 or many candidates. With many, the other people's records are not returned: the hub never needs them
 * (and PDS in application-restricted mode does not return them either: it answers TOO_MANY_MATCHES).
 */
export type TraceResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'unique'; readonly patient: DirectoryPatient }
  | { readonly kind: 'multiple' };

/** A GP registration, valid from `from` to `to` inclusive (YYYY-MM-DD); no `to` means current. */
export interface RegistrationPeriod {
  readonly ods: string;
  readonly from: string;
  readonly to?: string;
}

export interface DirectoryPatient {
  readonly nhsNumber: string;
  readonly name: { readonly given: string; readonly family: string };
  /** YYYY-MM-DD */
  readonly birthDate: string;
  /** PDS administrative gender, `unknown` when the record has none. */
  readonly gender: PatientGender;
  /** Absent for a restricted record, and when the address is not known. */
  readonly postcode?: string;
  /** Registration history; always empty for a restricted record. */
  readonly practices: readonly RegistrationPeriod[];
  /** S-flag ("restricted"): returned without address or GP; the hub must not route on it. */
  readonly restricted: boolean;
  /** false for a superseded or deceased NHS number. */
  readonly active: boolean;
}

export interface Practice {
  readonly ods: string;
  readonly name: string;
  readonly postcode: string;
  /** ONS code of the local authority the practice is in. */
  readonly localAuthority: string;
  /** The practice's inbox, `gp:<ODS>`. */
  readonly inbox: Recipient;
}

export interface LocalAuthority {
  readonly ons: string;
  readonly name: string;
  readonly officeHoursPhone: string;
  readonly outOfHoursPhone: string;
  readonly inboxes: {
    /** `marac:<ONS>`: the area's MARAC. */
    readonly marac: Recipient;
    /** `exceptions:<ONS>`: the area's safeguarding team, for people the hub cannot match. */
    readonly exceptions: Recipient;
    /** `la:<ONS>`: children's social care. */
    readonly la: Recipient;
  };
}

/** Which reference data answered: recorded on decisions. */
export interface DirectoryVersion {
  /** sha-256 (hex) over the three sources' exact content. */
  readonly contentHash: string;
  /** ISO 8601, when this content was first loaded. */
  readonly loadedAt: string;
}

/** One loaded, immutable set of reference data. Use one snapshot per message so every lookup sees one version. */
export interface DirectorySnapshot extends PatientDirectory {
  readonly version: DirectoryVersion;
  readonly counts: { readonly patients: number; readonly practices: number; readonly localAuthorities: number };
}
