import type { ClientRole } from '@hub/contracts';

/**
 * The demo's registered clients: one per role, acting for organisations in the synthetic seed (infra/seed).
 * Their key pairs are generated on this machine by setup.ts; private keys never leave `.data/demo`.
 */
export const DEMO_CLIENTS = [
  { clientId: 'asp-police', role: 'police', organisation: 'ASP' },
  { clientId: 'gp-l85901', role: 'gp', organisation: 'L85901' },
  { clientId: 'gp-l85902', role: 'gp', organisation: 'L85902' },
  { clientId: 'gp-l85904', role: 'gp', organisation: 'L85904' },
  { clientId: 'somerset-marac', role: 'marac', organisation: 'E06000066' },
  { clientId: 'somerset-safeguarding', role: 'local-authority', organisation: 'E06000066' },
  /** Reads the audit trail of what concerns Somerset (services/audit/README.md, "Scope"). */
  { clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' },
  /** A hub-wide IG officer (role ig-officer-national): reads the whole trail. X26 is NHS England's ODS code. */
  { clientId: 'hub-ig', role: 'ig-officer-national', organisation: 'X26' },
  /** A fictional acute trust's emergency department (unscheduled care looks children up). */
  { clientId: 'taunton-ed', role: 'unscheduled-care', organisation: 'RZ9' },
] as const satisfies readonly { clientId: string; role: ClientRole; organisation: string }[];

export type DemoClientId = (typeof DEMO_CLIENTS)[number]['clientId'];
