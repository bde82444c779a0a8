import document from '../policies/domestic-abuse.v1.json' with { type: 'json' };
import { loadPolicy, type Policy } from './policy.ts';

/** The file the default policy is read from, relative to this package. */
export const DEFAULT_POLICY_FILE = 'policies/domestic-abuse.v1.json';

let loaded: Policy | undefined;

/** The shipped domestic-abuse policy (`policies/domestic-abuse.v1.json`), loaded and checked once. */
export function defaultDomesticAbusePolicy(): Policy {
  loaded ??= loadPolicy(document);
  return loaded;
}
