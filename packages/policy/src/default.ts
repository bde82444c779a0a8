import document from '../policies/domestic-abuse.v3.json' with { type: 'json' };
import { loadPolicy, type Policy } from './policy.ts';

/**
 * The file the default policy is read from, relative to this package. v3 (`da-2026.12.1`) is v2 plus the delivery
 * deadlines. `policies/domestic-abuse.v1.json` (`da-2026.11.1`) and v2 (`da-2026.11.2`, v1 plus the wording of
 * withdrawals) stay beside it so past decisions remain explainable, but no longer load: they have no deadlines.
 */
export const DEFAULT_POLICY_FILE = 'policies/domestic-abuse.v3.json';

let loaded: Policy | undefined;

/** The shipped domestic-abuse policy (`policies/domestic-abuse.v3.json`), loaded and checked once. */
export function defaultDomesticAbusePolicy(): Policy {
  loaded ??= loadPolicy(document);
  return loaded;
}
