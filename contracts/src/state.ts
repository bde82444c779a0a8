import { ALL_STEPS, type ProjectorStep, type StageStep } from './steps.ts';

/**
 * Every piece of the hub's Redis state, in one place (Kafka is the record; Redis holds nothing else). Each entry is
 * either:
 * - a **view**: rebuilt from the topics its steps read (the `STEPS` entries whose `view` names it; derived below,
 *   never written twice) into a key space of its own per build (`VIEW_KEYS`), the one served named by a
 *   generation marker written when a build completes;
 * - a **cache** whose loss is harmless, with why.
 *
 * Keys are Redis glob patterns (`*` matches anything, `:` included), as SCAN MATCH takes them, under the
 * deployment's `REDIS_KEY_PREFIX`; a view's keys, and the locks its modules take, under its generation's key space. A module that writes a new key declares its pattern here: `state.test.ts` reads
 * every module that uses `@hub/redis` and fails on a key literal no pattern matches (and on a pattern no module
 * uses). Keys derived from another key (e.g. `${record}:position`) belong to that key's pattern.
 */

interface StateEntry {
  /** What it holds. */
  readonly description: string;
  /** Its keys, as glob patterns under the deployment's key prefix. */
  readonly keys: readonly string[];
  /** The module that writes it. */
  readonly owner: string;
}

export interface ViewEntry extends StateEntry {
  /**
   * Where the view is kept: Redis (the default: its keys under a generation's key space) or PostgreSQL (its tables,
   * made by its service's migrations, in a schema per generation; `keys` empty). Either is rebuilt the same way.
   */
  readonly store?: 'redis' | 'postgres';
}

export interface CacheEntry extends StateEntry {
  /** Why losing it (a Redis wipe or restart) is harmless. */
  readonly harmless: string;
}

/** The Redis views, each rebuilt from the topics its projecting steps read. */
export const HUB_VIEWS = {
  inbox: {
    description: 'Each inbox: its notifications in order, with their fetched and acknowledged states.',
    keys: ['inbox:*:items', 'notification:*'],
    owner: 'services/inbox/src/store.ts',
  },
  audit: {
    description: 'The audit trail, searchable, and its verifiable log (PostgreSQL).',
    store: 'postgres',
    keys: [],
    owner: 'services/audit/src/store.ts, services/audit/src/log',
  },
  'incident-versions': {
    description:
      'The latest version of each police incident (for `unchanged` and amendments) and each receipt (`rcpt_`) ' +
      "with its incident, used by receipt status. (Its globs also match the incidents' locks and the receipts' " +
      '`:status` keys, which belong to `intake-locks` and `receipt-status`: a glob cannot leave a suffix out.)',
    keys: ['da:incident:*', 'da:receipt:*'],
    owner: 'services/police-gateway/src/intake.ts, services/police-gateway/src/incident-projector.ts',
  },
  'receipt-status': {
    description: "Each receipt's recipients and how far each notification has got.",
    keys: ['da:receipt:*:status'],
    owner: 'services/police-gateway/src/receipt-status.ts',
  },
  'cp-flags': {
    description: "Each child's plans, FGM indicators and recent unscheduled accesses.",
    keys: ['cp:plan:*', 'cp:fgm:*', 'cp:plans-by-child:*', 'cp:fgm-by-child:*', 'cp:unscheduled-accesses:*'],
    owner: 'services/child-protection/src/flag-view.ts',
  },
  'amendment-lineage': {
    description:
      "The dispatcher's amendment lineage: per incident, kind, recipient and person the notifications issued, and " +
      'per incident the slots each receipt filled, each by the offset of the decision it came from. The dispatcher ' +
      'writes it as it issues and reads it to set `amends` and to withdraw; its projector writes the same entries ' +
      'from the issued notifications.',
    keys: ['da:lineage:*', 'da:issued:*'],
    owner: 'services/dispatcher/src/lineage.ts',
  },
  deadlines: {
    description:
      "Each issued notification's delivery deadlines with what met them (fetch, acknowledgement) and what fired " +
      '(overdue, escalated, closed, not delivered), the notifications with something still to come by when it ' +
      'falls, and the notifications open in each state (for metrics).',
    keys: ['dl:ntf:*', 'dl:pending', 'dl:state:*'],
    owner: 'services/deadlines/src/store.ts',
  },
  'plan-status': {
    description:
      "Each plan's versions and the look-ups that found it, with their notifications and how far each has got, " +
      'for the owning authority.',
    keys: ['cp:status:*'],
    owner: 'services/child-protection/src/plan-status.ts',
  },
} as const satisfies Record<string, ViewEntry>;
export type HubViewName = keyof typeof HUB_VIEWS;
export const HUB_VIEW_NAMES = Object.keys(HUB_VIEWS) as [HubViewName, ...HubViewName[]];

/** Caches whose loss is harmless. */
export const HUB_CACHES = {
  'token-replay': {
    description: "The client assertions' jti already used, until each assertion expires.",
    keys: ['auth:jti:*'],
    owner: 'packages/auth/src/token-endpoint.ts',
    harmless:
      "An assertion lives at most 5 minutes and is signed with the client's own private key: after a loss, only " +
      'an assertion still unexpired could be presented once more, and only by whoever already holds it.',
  },
  'inbox-locks': {
    description: 'A short lock per inbox, so fetches and acknowledgements of one inbox take turns.',
    keys: ['inbox:*:lock'],
    owner: 'services/inbox/src/store.ts',
    harmless: 'It expires by itself within seconds; a lost lock lets at most one request overlap another.',
  },
  'intake-locks': {
    description: 'A short lock per incident, plan and FGM indicator while a new version is recorded.',
    keys: ['da:incident:*:lock', 'cp:lock:*'],
    owner: 'services/police-gateway/src/intake.ts, services/child-protection/src/flag-view.ts',
    harmless:
      'It expires by itself within seconds; a version is applied by compare-and-set on its predecessor, so an ' +
      'overlap is refused, never recorded twice.',
  },
  'instance-name': {
    description: "The lease on this instance's KAFKA_INSTANCE_NAME (part of its transactional ids).",
    keys: ['hub:instance:*'],
    owner: 'packages/runtime/src/instance-name.ts',
    harmless:
      'The holder renews it every 2 s and takes it back if it is gone; meanwhile Kafka still fences a second ' +
      'instance of the same name by its transactional ids.',
  },
  'rate-limits': {
    description:
      "Each rate limit's request count per client id or source address in its one-minute window, and the " +
      'refusals counted towards its one audit event per window.',
    keys: ['rate-limit:*'],
    owner: 'packages/http/src/rate-limit.ts',
    harmless:
      'Every key expires with its window: a lost counter lets a client or an address make at most one ' +
      "window's worth more requests, and a lost tally at most drops one window's aggregate count from the trail.",
  },
  'deadline-firings': {
    description:
      "Per notification and action, the offset of the deadline clock's tick that fired it (the deadline stage's " +
      'claim, written in its transaction before the commit), so a later tick does not fire it again before the ' +
      'firing is back in the deadlines view from the audit trail.',
    keys: ['dl:fired:*'],
    owner: 'services/deadlines/src/store.ts',
    harmless:
      'What fired is in the audit trail and the deadlines view, which the stage checks first; a claim only covers ' +
      'the moment until the view has it. Lost in that moment, a repeated tick may fire again: the same ' +
      'content-derived notification and audit event ids, which the inboxes and the audit store keep once.',
  },
  'console-sessions': {
    description:
      "Each console session (by the SHA-256 of its cookie's id): the person, CSRF token, idle and absolute expiry.",
    keys: ['console:session:*'],
    owner: 'services/console/src/sessions.ts',
    harmless: 'Losing it only signs people out: they sign in again. Nothing of the record is in it.',
  },
  'console-sign-in': {
    description:
      'Failed console sign-ins per account and per network in the current window, and the pending OpenID Connect ' +
      'sign-ins (state, nonce, PKCE verifier) for 10 minutes.',
    keys: ['console:sign-in-failures:*', 'console:oidc:*'],
    owner: 'services/console/src/sign-in-limits.ts, services/console/src/oidc.ts',
    harmless:
      'Counters expire with their window: a loss allows at most one more window of attempts. A lost pending ' +
      'OpenID Connect sign-in fails at its callback and the person starts again.',
  },
} as const satisfies Record<string, CacheEntry>;
export type HubCacheName = keyof typeof HUB_CACHES;

/**
 * The keys that say which build of each view is served (`@hub/runtime` view-generations; README "When Redis loses
 * its data"), and the key space each build writes. A view's keys (its `HUB_VIEWS` patterns, and the locks its
 * modules take) live under `space(view, generation)`, so a rebuild writes beside the view it replaces and the
 * switch is one write of `generation`.
 */
export const VIEW_KEYS = {
  /** The generation served: written when a build completes. Missing = lost (or never built). */
  generation: (view: HubViewName) => `view:{views}:${view}:generation`,
  /** The generation being built, if any; a rebuild is asked for by writing it (SET NX). */
  building: (view: HubViewName) => `view:{views}:${view}:building`,
  /** The lease of the one instance that builds it (its instance id). */
  builder: (view: HubViewName) => `view:{views}:${view}:builder`,
  /** The build's progress (counts only), for `./hub rebuild`. */
  progress: (view: HubViewName) => `view:{views}:${view}:progress`,
  /** The Redis run id the markers were written under: another means Redis restarted since (see view-generations). */
  redisRunId: 'view:{views}:redis-run-id',
  /** The prefix of one generation's keys. */
  space: (view: HubViewName, generation: string) => `gen:{${view}:${generation}}:`,
} as const;
/**
 * Glob patterns of the keys above (the key spaces' own keys are their views' patterns). The braces are Redis Cluster
 * hash tags (README "Redis in production"): a generation's keys share the slot of `{<view>:<generation>}`, so every
 * script and MULTI of a view runs on Cluster; the markers share `{views}`, so one script can drop them all at once
 * after a Redis restart. (`{` and `}` are plain characters to SCAN MATCH; REDIS_KEY_PREFIX may hold neither.)
 */
export const VIEW_KEY_PATTERNS = [
  'view:{views}:*:generation',
  'view:{views}:*:building',
  'view:{views}:*:builder',
  'view:{views}:*:progress',
  'view:{views}:redis-run-id',
  'gen:{*',
] as const;

/** Where a view is kept (`ViewEntry.store`). */
export function viewStore(view: HubViewName): 'redis' | 'postgres' {
  const entry: ViewEntry = HUB_VIEWS[view];
  return entry.store ?? 'redis';
}

type ViewStep = (StageStep & { readonly view: HubViewName }) | ProjectorStep;

/** The steps that write a view: their consumer groups and input topics are the view's source. */
export function viewSteps(view: HubViewName): readonly ViewStep[] {
  return ALL_STEPS.filter(
    (step): step is ViewStep => (step.kind === 'stage' || step.kind === 'projector') && step.view === view,
  );
}

/** The topics a view is rebuilt from (logical names). */
export function viewTopics(view: HubViewName): readonly string[] {
  return [...new Set(viewSteps(view).map((step) => step.input.name))];
}
