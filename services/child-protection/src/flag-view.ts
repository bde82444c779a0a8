import { CP_LIMITS } from '@hub/contracts';
import type { CareSetting, CpPlanChange, CpPlanSubmission, FgmIndicatorSubmission } from '@hub/contracts';
import { applyVersion, positionKey, readLatestVersion, type VersionWrite } from '@hub/records';
import type { RedisClient } from '@hub/redis';

/**
 * The Redis views of the child-protection flags: the latest version of each plan and FGM indicator, which of them
 * belong to which child, and each child's recent unscheduled-care accesses. Kafka holds the record; these views are
 * what a look-up reads, and they can be rebuilt from the topics. Two writers apply the same records, in either
 * order and possibly more than once: the intakes after each commit, and the flag-view projector (projector.ts)
 * from the topics. So every write here is idempotent and order-safe: a version is applied only on top of its
 * predecessor, or in place of a sibling earlier in the log (`@hub/records` `applyVersion`: the latest-version
 * compare-and-set every versioned record shares, here with the child's set as its index), and an access is a
 * sorted-set member named by its look-up id. Keys carry ids (and the child's NHS number, as the look-up is by NHS
 * number), never names or other personal data; values are ids, dates and the LA's contact details.
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
 * What applying one plan or FGM indicator version to the view did (`@hub/records`: `applied`, `unindexed` when the
 * child's set was full, `held`, `superseded`, or `gap` when its predecessor was never applied: a rebuild fills it).
 */
export type { VersionWrite };

export const CP_KEYS = {
  plan: (ons: string, planId: string) => `cp:plan:${ons}:${planId}`,
  /** Where the viewed version of a record sits in its topic: a hash of `previous` (version id, '' for none) and `offset`. */
  position: positionKey,
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

  return {
    plan: (ons: string, planId: string): Promise<StoredPlan | undefined> =>
      readLatestVersion<StoredPlan>(redis, CP_KEYS.plan(ons, planId)),

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
     * child's set; idempotent and order-safe (`applyVersion`). Used by the intake after its commit and by the
     * projector for every record; `offset` is the record's offset in `cp.plan-recorded.v1` (undefined if unknown:
     * such a version never displaces a sibling, nor is displaced by one).
     */
    savePlan: (
      stored: StoredPlan,
      previousVersionId: string | null,
      offset: string | undefined,
    ): Promise<VersionWrite> =>
      applyVersion(redis, {
        key: CP_KEYS.plan(stored.localAuthority, stored.planId),
        latest: stored,
        previousVersionId,
        offset,
        index: {
          key: CP_KEYS.plansByChild(stored.plan.nhsNumber),
          member: planRef(stored.localAuthority, stored.planId),
          limit: CP_LIMITS.plansPerChild,
          fate: 'add',
        },
      }),

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

    fgm: (ods: string, indicatorId: string): Promise<StoredFgmIndicator | undefined> =>
      readLatestVersion<StoredFgmIndicator>(redis, CP_KEYS.fgm(ods, indicatorId)),

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
      applyVersion(redis, {
        key: CP_KEYS.fgm(stored.organisation, stored.indicatorId),
        latest: stored,
        previousVersionId,
        offset,
        index: {
          key: CP_KEYS.fgmByChild(stored.nhsNumber),
          member: fgmRef(stored.organisation, stored.indicatorId),
          limit: CP_LIMITS.fgmIndicatorsPerChild,
          fate: stored.status === 'active' ? 'add' : 'remove',
        },
      }),

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
