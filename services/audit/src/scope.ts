import { onsCode, type AuditEvent, type Caller } from '@hub/contracts';

/**
 * Who may read which audit events. Each stored event is placed, when it is projected, under every organisation
 * code and area (local authority ONS code) it concerns; an IG officer reads the events placed under their own
 * organisation's code, a national IG officer reads them all. See the README's "Scope" for the rule.
 */

/** What the store needs of the directory (`@hub/directory`'s `PatientDirectory` is one): a practice's area. */
export interface PracticeAreas {
  practice(ods: string): Promise<{ readonly localAuthority: string } | undefined>;
}

/** Which events a search may return: every one (`hub`), or those placed under one organisation code. */
export type AuditScope = { readonly kind: 'hub' } | { readonly kind: 'organisation'; readonly organisation: string };

export interface EventPlacement {
  /** Every organisation code and area the event concerns: the scope indexes it is added to. */
  readonly scopes: readonly string[];
  /** The areas among them; an event with none takes its record's areas. */
  readonly areas: readonly string[];
  /** The record (its `receiptId`) whose areas the event takes and adds to; null when it belongs to none. */
  readonly record: string | null;
  /** The areas this event gives its record: where the record was sent and whose record it is, never who acted. */
  readonly recordAreas: readonly string[];
}

const CODE = /^[A-Z0-9]{1,12}$/;

/** The organisation code an inbox belongs to (`gp:<ODS>`, `marac:<ONS>`, `la:<ONS>`, `exceptions:<ONS>`). */
function recipientCode(recipient: string | null): string | undefined {
  return recipient?.slice(recipient.indexOf(':') + 1);
}

/** The submitter's code of an incident reference (`<force>:…`, `<ONS>:…`, `<ODS>:…`). */
function referenceCode(incidentRef: string | null): string | undefined {
  const code = incidentRef?.split(':', 1)[0];
  return code !== undefined && CODE.test(code) ? code : undefined;
}

/** The practice codes an event names, for the directory to map to areas before `placementOf`. */
export function practiceCodesOf(event: AuditEvent): string[] {
  const codes = [event.actor?.organisation, recipientCode(event.recipient), referenceCode(event.incidentRef)];
  return [...new Set(codes.filter((code) => code !== undefined && !onsCode.safeParse(code).success))] as string[];
}

/**
 * Where an event is placed. `areaOfPractice` maps a practice's ODS code to its local authority (undefined for a
 * code that is not a practice: a force, a setting). `audit-searched` concerns only the officer who searched: its
 * receipt id and recipient are what was searched for, not records it belongs to.
 */
export function placementOf(event: AuditEvent, areaOfPractice: (ods: string) => string | undefined): EventPlacement {
  const searched = event.action === 'audit-searched';
  const areaOf = (code: string | undefined): string | undefined =>
    code === undefined ? undefined : onsCode.safeParse(code).success ? code : areaOfPractice(code);
  const actorCode = event.actor?.organisation;
  const recordCodes = searched ? [] : [recipientCode(event.recipient), referenceCode(event.incidentRef)];
  const codes = [actorCode, ...recordCodes].filter((code) => code !== undefined);
  const areas = unique(codes.map(areaOf));
  return {
    scopes: unique([...codes, ...areas]),
    areas,
    record: searched ? null : event.receiptId,
    recordAreas: unique(recordCodes.map(areaOf)),
  };
}

/** Looks the event's practices up, then places it. */
export async function placeEvent(event: AuditEvent, directory: PracticeAreas): Promise<EventPlacement> {
  const practices = practiceCodesOf(event);
  const found = await Promise.all(practices.map((ods) => directory.practice(ods)));
  const areaOf = new Map(practices.map((ods, i) => [ods, found[i]?.localAuthority]));
  return placementOf(event, (ods) => areaOf.get(ods));
}

/**
 * The scope of an IG officer's search: `ig-officer-national` reads the whole trail, `ig-officer` reads what concerns
 * their organisation (for an authority's ONS code: its area). Any other role reads nothing (the route refuses it).
 */
export function auditScopeOf(caller: Caller): AuditScope {
  return caller.role === 'ig-officer-national'
    ? { kind: 'hub' }
    : { kind: 'organisation', organisation: caller.organisation };
}

/** The scope as a stable reason code for the `audit-searched` event: `scope:hub` or `scope:<organisation>`. */
export function scopeReason(scope: AuditScope): string {
  return scope.kind === 'hub' ? 'scope:hub' : `scope:${scope.organisation}`;
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value) => value !== undefined))];
}
