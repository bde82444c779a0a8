import { HUB_CACHES, HUB_VIEWS, type HubCacheName, type HubViewName } from './state.ts';

/** Which entry of `state.ts` a Redis key (without the deployment's prefix) belongs to. */
export type StateOwner =
  { readonly kind: 'view'; readonly name: HubViewName } | { readonly kind: 'cache'; readonly name: HubCacheName };

/** Redis glob matching for the patterns `state.ts` uses (`*` only, matching anything, `:` included). */
export function keyMatches(pattern: string, key: string): boolean {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(key);
}

const PATTERNS: readonly { readonly pattern: string; readonly owner: StateOwner }[] = [
  ...Object.entries(HUB_VIEWS).flatMap(([name, entry]) =>
    entry.keys.map((pattern) => ({ pattern, owner: { kind: 'view', name: name as HubViewName } as const })),
  ),
  ...Object.entries(HUB_CACHES).flatMap(([name, entry]) =>
    entry.keys.map((pattern) => ({ pattern, owner: { kind: 'cache', name: name as HubCacheName } as const })),
  ),
];

const literalLength = (pattern: string): number => pattern.replaceAll('*', '').length;

/**
 * The owner of `key`: the entry whose matching pattern is the most specific (the most characters besides `*`). A glob
 * cannot leave a suffix out, so `da:receipt:*` (incident-versions) also matches `da:receipt:<id>:status`, which
 * `da:receipt:*:status` (receipt-status) names more closely. Undefined for a key no entry declares.
 */
export function stateOwnerOf(key: string): StateOwner | undefined {
  let best: { readonly pattern: string; readonly owner: StateOwner } | undefined;
  for (const candidate of PATTERNS) {
    if (!keyMatches(candidate.pattern, key)) continue;
    if (best === undefined || literalLength(candidate.pattern) > literalLength(best.pattern)) best = candidate;
  }
  return best?.owner;
}
