import document from '../policies/domestic-abuse.v2.json' with { type: 'json' };
import { loadPolicy, type Policy } from './policy.ts';

/**
 * The file the default policy is read from, relative to this package. `policies/domestic-abuse.v1.json`
 * (`da-2026.11.1`) stays beside it so past decisions remain explainable; v2 (`da-2026.11.2`) adds the wording of
 * withdrawals and changes nothing else.
 */
export const DEFAULT_POLICY_FILE = 'policies/domestic-abuse.v2.json';

let loaded: Policy | undefined;

/** The shipped domestic-abuse policy (`policies/domestic-abuse.v2.json`), loaded and checked once. */
export function defaultDomesticAbusePolicy(): Policy {
  loaded ??= loadPolicy(document);
  return loaded;
}
