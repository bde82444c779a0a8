import { CP_LIMITS } from '@hub/contracts';
import type { CareSetting, CpPlanChange, CpPlanSubmission, FgmIndicatorSubmission } from '@hub/contracts';
import type { RedisClient } from '@hub/redis';

/**
 * The Redis views of the child-protection flags: the latest version of each plan and FGM indicator, which of them
 * belong to which child, and each child's recent unscheduled-care accesses. Kafka holds the record; these views are
 * what a look-up reads, and they can be rebuilt from the topics. Two writers apply the same records, in either
 * order and possibly more than once: the HTTP handlers after each commit, and the flag-view projector
 * (projector.ts) from the topics. So every write here is idempotent and order-safe: a version is applied only
 * on top of its predecessor, or in place of a sibling earlier in the log (a compare-and-set in one Lua script,
 * APPLY_VERSION), and an access is a sorted-set member named by its look-up id. Keys carry ids (and the child's NHS number, as the look-up is by NHS number), never names or
 * other personal data; values are ids, dates and the LA's contact details.
 */

/** The latest recorded version of one plan (`cp:plan:<ons>:<planId>`). */
export interface StoredPlan {
  readonly localAuthority: string;
  readonly planId: string;
  readonly versionId: string;
  readonly change: CpPlanChange;
  readonly contentHash: string;
  readonly recordedAt: string;
  readonly plan: CpPlanSubmission;
}

/** The latest recorded version of one FGM indicator (`cp:fgm:<ods>:<indicatorId>`). */
export interface StoredFgmIndicator {
  readonly organisation: string;
  readonly indicatorId: string;
  readonly versionId: string;
  readonly nhsNumber: string;
  readonly status: FgmIndicatorSubmission['status'];
  readonly contentHash: string;
  readonly recordedAt: string;
}

/** One earlier unscheduled-care look-up that found a plan (`cp:unscheduled-accesses:<nhsNumber>`, newest first). */
export interface UnscheduledAccess {
  readonly accessedAt: string;
  readonly setting: CareSetting;
}

/** What reserving a place in a child's set answered. */
export type SlotReservation = 'reserved' | 'held' | 'full';

/**
 * What applying one plan or FGM indicator version to the view did:
 * - `applied`: the view held its predecessor (or nothing, for a first version) and now holds this version;
 * - `unindexed`: applied, but the child's set was full, so it was not added to it (see APPLY_VERSION);
 * - `held`: the view already holds this version (a redelivery, or the other writer got there first);
 * - `superseded`: the view holds another version and this one does not follow it (older, already superseded);
 * - `gap`: the view holds nothing and this version has a predecessor, which was never applied (the view was
 *   wiped mid-stream); nothing is written: a rebuild (a new projector group, replaying from the start) fills it.
 */
export type VersionWrite = 'applied' | 'unindexed' | 'held' | 'superseded' | 'gap';

export const CP_KEYS = {
  plan: (ons: string, planId: string) => `cp:plan:${ons}:${planId}`,
  /** Where the viewed version of a record sits in its topic: a hash of `previous` (version id, '' for none) and `offset`. */
  position: (record: string) => `${record}:position`,
  planLock: (ons: string, planId: string) => `cp:lock:plan:${ons}:${planId}`,
  plansByChild: (nhsNumber: string) => `cp:plans-by-child:${nhsNumber}`,
  /** A sorted set (score: accessedAt in ms; member: the look-up id with what is shown). */
  accesses: (nhsNumber: string) => `cp:unscheduled-accesses:${nhsNumber}`,
  fgm: (ods: string, indicatorId: string) => `cp:fgm:${ods}:${indicatorId}`,
  fgmLock: (ods: string, indicatorId: string) => `cp:lock:fgm:${ods}:${indicatorId}`,
  fgmByChild: (nhsNumber: string) => `cp:fgm-by-child:${nhsNumber}`,
} as const;

/** A member of a child's plan set: `<ons>:<planId>` (neither contains a colon). */
export function planRef(ons: string, planId: string): string {
  return `${ons}:${planId}`;
}

/** A member of a child's FGM set: `<ods>:<indicatorId>`. */
export function fgmRef(ods: string, indicatorId: string): string {
  return `${ods}:${indicatorId}`;
}

// Atomically: 1 when the member is already in the set, 0 when it was added, -1 when the set is full.
const RESERVE = `
if redis.call('sismember', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('scard', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('sadd', KEYS[1], ARGV[1])
return 0`;

/**
 * Compare-and-set of one plan or FGM indicator version, with the child's set, atomically.
 * KEYS: 1 the record (`cp:plan:...` / `cp:fgm:...`), 2 the child's set, 3 the record's position. ARGV: 1 versionId,
 * 2 previousVersionId ('' for none), 3 the stored JSON, 4 the set member, 5 the set's limit, 6 `add` or `remove`
 * (the member's fate), 7 the version's offset in its topic ('' if unknown).
 * - the view holds this version: nothing (0, held);
 * - it holds its predecessor, or holds nothing and this is a first version, or holds a sibling (a version with the
 *   same predecessor) that is earlier in the topic: the record and its position are written and the member added
 *   (removed for a removed FGM indicator) (1, applied). Adding respects the limit like RESERVE: a member already
 *   there (the handler's reservation) is not counted twice; a set already full is left as it is and the record
 *   still written (2, unindexed), so the record's chain stays whole and later versions still apply;
 * - it holds another version: nothing (-1, superseded); it holds nothing and this version has a predecessor:
 *   nothing (-2, gap).
 * Siblings happen when an intake dies between its commit and its view write and a different change of the same
 * record is accepted before the projector has applied the first: both follow the version the view showed. The
 * later in the topic is the later change, so it wins, whichever writer comes first and however often each runs.
 * The set is only touched when the version applies, so a late or repeated old version can never take a removed
 * indicator's member back, nor drop a reservation the handler has just made.
 */
const APPLY_VERSION = `
local current = redis.call('get', KEYS[1])
local held = false
if current then held = cjson.decode(current)['versionId'] end
if held == ARGV[1] then return 0 end
if held then
  if held ~= ARGV[2] then
    local position = redis.call('hmget', KEYS[3], 'previous', 'offset')
    local sibling = position[1] == ARGV[2] and position[2] and position[2] ~= '' and ARGV[7] ~= ''
    if not sibling or tonumber(ARGV[7]) <= tonumber(position[2]) then return -1 end
  end
elseif ARGV[2] ~= '' then
  return -2
end
local answer = 1
if ARGV[6] == 'add' then
  if redis.call('sismember', KEYS[2], ARGV[4]) == 0 then
    if redis.call('scard', KEYS[2]) >= tonumber(ARGV[5]) then
      answer = 2
    else
      redis.call('sadd', KEYS[2], ARGV[4])
    end
  end
else
  redis.call('srem', KEYS[2], ARGV[4])
end
redis.call('set', KEYS[1], ARGV[3])
redis.call('hset', KEYS[3], 'previous', ARGV[2], 'offset', ARGV[7])
return answer`;

const VERSION_WRITES: Readonly<Record<number, VersionWrite>> = {
  1: 'applied',
  2: 'unindexed',
  0: 'held',
  [-1]: 'superseded',
  [-2]: 'gap',
};

/**
 * Adds one access (idempotent: the member names the look-up) and keeps the newest ARGV[3] (by accessedAt; ties by
 * member), so a replayed or repeated access, or one older than all those kept, changes nothing.
 */
const ADD_ACCESS = `
redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
redis.call('zremrangebyrank', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
return 1`;

/** The sorted-set member of one access: its look-up id and what is shown, in a fixed key order. */
export function accessMember(lookupId: string, access: UnscheduledAccess): string {
  return JSON.stringify({
    lookupId,
    accessedAt: access.accessedAt,
    setting: { odsCode: access.setting.odsCode, type: access.setting.type },
  });
}

function parseAccess(member: string): UnscheduledAccess {
  const { accessedAt, setting } = JSON.parse(member) as UnscheduledAccess & { lookupId: string };
  return { accessedAt, setting };
}

// Values are this module's own JSON (written by savePlan / saveFgm / recordAccess), not input from outside.
function parsePlan(raw: string | null): StoredPlan | undefined {
  return raw === null ? undefined : (JSON.parse(raw) as StoredPlan);
}

function parseFgm(raw: string | null): StoredFgmIndicator | undefined {
  return raw === null ? undefined : (JSON.parse(raw) as StoredFgmIndicator);
}

function splitRef(ref: string): [string, string] | undefined {
  const at = ref.indexOf(':');
  return at <= 0 ? undefined : [ref.slice(0, at), ref.slice(at + 1)];
}

export function createFlagView(redis: RedisClient) {
  async function reserve(key: string, member: string, limit: number): Promise<SlotReservation> {
    const answer = await redis.eval(RESERVE, 1, key, member, String(limit));
    return answer === 1 ? 'held' : answer === 0 ? 'reserved' : 'full';
  }

  async function applyVersion(
    keys: { readonly record: string; readonly set: string },
    version: { readonly versionId: string; readonly previousVersionId: string | null; readonly json: string },
    member: { readonly ref: string; readonly limit: number; readonly fate: 'add' | 'remove' },
    offset: string | undefined,
  ): Promise<VersionWrite> {
    const answer = await redis.eval(
      APPLY_VERSION,
      3,
      keys.record,
      keys.set,
      CP_KEYS.position(keys.record),
      version.versionId,
      version.previousVersionId ?? '',
      version.json,
      member.ref,
      String(member.limit),
      member.fate,
      offset ?? '',
    );
    const write = typeof answer === 'number' ? VERSION_WRITES[answer] : undefined;
    if (write === undefined) throw new Error('unexpected answer from the flag view version script');
    return write;
  }

  return {
    plan: async (ons: string, planId: string): Promise<StoredPlan | undefined> =>
      parsePlan(await redis.get(CP_KEYS.plan(ons, planId))),

    /**
     * Takes a place for a new plan in the child's set before it is recorded, so that concurrent new plans of one
     * child cannot exceed CP_LIMITS.plansPerChild. `full` means the child already has that many plans.
     */
    reservePlanSlot: (nhsNumber: string, ons: string, planId: string): Promise<SlotReservation> =>
      reserve(CP_KEYS.plansByChild(nhsNumber), planRef(ons, planId), CP_LIMITS.plansPerChild),

    /** Gives back a place taken by reservePlanSlot when the plan was not recorded after all. */
    releasePlanSlot: async (nhsNumber: string, ons: string, planId: string): Promise<void> => {
      await redis.srem(CP_KEYS.plansByChild(nhsNumber), planRef(ons, planId));
    },

    /**
     * Applies a plan version on top of `previousVersionId` (null for a first version), with the plan joining the
     * child's set; idempotent and order-safe (APPLY_VERSION). Used by the handler after its commit and by the
     * projector for every record; `offset` is the record's offset in `cp.plan-recorded.v1` (undefined if unknown:
     * such a version never displaces a sibling, nor is displaced by one).
     */
    savePlan: (
      stored: StoredPlan,
      previousVersionId: string | null,
      offset: string | undefined,
    ): Promise<VersionWrite> =>
      applyVersion(
        {
          record: CP_KEYS.plan(stored.localAuthority, stored.planId),
          set: CP_KEYS.plansByChild(stored.plan.nhsNumber),
        },
        { versionId: stored.versionId, previousVersionId, json: JSON.stringify(stored) },
        { ref: planRef(stored.localAuthority, stored.planId), limit: CP_LIMITS.plansPerChild, fate: 'add' },
        offset,
      ),

    /**
     * Every plan recorded for the child, any authority, active or ended. A member without a plan (a reservation
     * whose plan was never recorded) is skipped.
     */
    plansOfChild: async (nhsNumber: string): Promise<StoredPlan[]> => {
      const refs = (await redis.smembers(CP_KEYS.plansByChild(nhsNumber))).slice(0, CP_LIMITS.plansPerChild);
      const keys = refs.flatMap((ref) => {
        const parts = splitRef(ref);
        return parts === undefined ? [] : [CP_KEYS.plan(...parts)];
      });
      if (keys.length === 0) return [];
      const values = await redis.mget(...keys);
      return values.map(parsePlan).filter((plan): plan is StoredPlan => plan?.plan.nhsNumber === nhsNumber);
    },

    /** Earlier unscheduled-care accesses that found a plan, newest first, at most CP_LIMITS.accessesShown. */
    accesses: async (nhsNumber: string): Promise<UnscheduledAccess[]> =>
      (await redis.zrevrange(CP_KEYS.accesses(nhsNumber), 0, CP_LIMITS.accessesShown - 1)).map(parseAccess),

    /** Adds look-up `lookupId`'s access to the child's list; recording the same look-up again changes nothing. */
    recordAccess: async (nhsNumber: string, lookupId: string, access: UnscheduledAccess): Promise<void> => {
      const score = Date.parse(access.accessedAt);
      if (!Number.isFinite(score)) throw new RangeError('accessedAt is not a date-time');
      await redis.eval(
        ADD_ACCESS,
        1,
        CP_KEYS.accesses(nhsNumber),
        String(score),
        accessMember(lookupId, access),
        String(CP_LIMITS.accessesShown),
      );
    },

    fgm: async (ods: string, indicatorId: string): Promise<StoredFgmIndicator | undefined> =>
      parseFgm(await redis.get(CP_KEYS.fgm(ods, indicatorId))),

    /** As reservePlanSlot, for an indicator becoming active (the set holds active indicators only). */
    reserveFgmSlot: (nhsNumber: string, ods: string, indicatorId: string): Promise<SlotReservation> =>
      reserve(CP_KEYS.fgmByChild(nhsNumber), fgmRef(ods, indicatorId), CP_LIMITS.fgmIndicatorsPerChild),

    releaseFgmSlot: async (nhsNumber: string, ods: string, indicatorId: string): Promise<void> => {
      await redis.srem(CP_KEYS.fgmByChild(nhsNumber), fgmRef(ods, indicatorId));
    },

    /**
     * Applies an indicator version on top of `previousVersionId`, as savePlan: an active indicator joins the child's
     * set (within its limit), a removed one leaves it, only when the version applies.
     */
    saveFgm: (
      stored: StoredFgmIndicator,
      previousVersionId: string | null,
      offset: string | undefined,
    ): Promise<VersionWrite> =>
      applyVersion(
        { record: CP_KEYS.fgm(stored.organisation, stored.indicatorId), set: CP_KEYS.fgmByChild(stored.nhsNumber) },
        { versionId: stored.versionId, previousVersionId, json: JSON.stringify(stored) },
        {
          ref: fgmRef(stored.organisation, stored.indicatorId),
          limit: CP_LIMITS.fgmIndicatorsPerChild,
          fate: stored.status === 'active' ? 'add' : 'remove',
        },
        offset,
      ),

    /** The child's active FGM indicators, at most CP_LIMITS.fgmIndicatorsPerChild. */
    activeFgmOfChild: async (nhsNumber: string): Promise<StoredFgmIndicator[]> => {
      const refs = (await redis.smembers(CP_KEYS.fgmByChild(nhsNumber))).slice(0, CP_LIMITS.fgmIndicatorsPerChild);
      const keys = refs.flatMap((ref) => {
        const parts = splitRef(ref);
        return parts === undefined ? [] : [CP_KEYS.fgm(...parts)];
      });
      if (keys.length === 0) return [];
      const values = await redis.mget(...keys);
      return values
        .map(parseFgm)
        .filter(
          (indicator): indicator is StoredFgmIndicator =>
            indicator?.status === 'active' && indicator.nhsNumber === nhsNumber,
        );
    },
  };
}

export type FlagView = ReturnType<typeof createFlagView>;
