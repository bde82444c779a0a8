import { z } from 'zod';

/**
 * Who may call the hub. Each registered client acts for exactly one organisation, identified by the code its role
 * implies: a police force code, a GP practice's ODS code, a local authority's ONS code, or an unscheduled-care
 * setting's ODS code. Everything a caller may see is scoped to that organisation.
 */
export const CLIENT_ROLES = [
  'police',
  'gp',
  'marac',
  'local-authority',
  'unscheduled-care',
  /** Reads the audit trail of what concerns its own organisation (for an authority: its area). */
  'ig-officer',
  /** Reads the whole hub's audit trail; registered separately from area IG officers. */
  'ig-officer-national',
] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

export const caller = z
  .object({
    clientId: z.string().min(1).max(100),
    role: z.enum(CLIENT_ROLES),
    organisation: z.string().regex(/^[A-Z0-9]{1,12}$/),
  })
  .strict();
/** The authenticated caller of a request, from its access token. */
export type Caller = z.infer<typeof caller>;
