import type { RedisClient } from '@hub/redis';

/**
 * The latest-version view of versioned records: for each record (a police incident, a child protection plan, an FGM
 * indicator), the version an intake reads to answer `unchanged` and to chain the next version on. It is a view of
 * the record topic: everything in it is taken from the topic's records, and applying those records (all of them, in
 * topic order, any number of times, interleaved with the intake's own writes of the same records) leaves the same
 * state. The intake writes each version after its commit, and a projector of the topic can write the same version
 * with the same call (`applyVersion`): a compare-and-set on the version chain, so neither order nor repetition
 * matters, and a view emptied by accident can be rebuilt by replaying the topic.
 */

/** What a record's latest version must hold, whatever else its kind keeps there. */
export interface LatestVersion {
  readonly versionId: string;
  /** sha-256 of the canonical content (`contentHash`): the same content again is `unchanged`. */
  readonly contentHash: string;
}

/**
 * What applying one version did:
 * - `applied`: the view held its predecessor (or nothing, for a first version) and now holds this version;
 * - `unindexed`: applied, but the index set was full, so the record was not added to it;
 * - `held`: the view already holds this version (a redelivery, or the other writer got there first);
 * - `superseded`: the view holds another version and this one does not follow it (older, already superseded);
 * - `gap`: the view holds nothing and this version has a predecessor, which was never applied (the view was
 *   wiped mid-stream); nothing is written: a replay of the topic from its start fills it.
 */
export type VersionWrite = 'applied' | 'unindexed' | 'held' | 'superseded' | 'gap';

/**
 * A set the record belongs to while its latest version says so (a child's plans, a child's active FGM indicators):
 * the member joins (`add`, within `limit`) or leaves (`remove`) it only when the version applies.
 */
export interface VersionIndex {
  readonly key: string;
  readonly member: string;
  readonly limit: number;
  readonly fate: 'add' | 'remove';
}

/** One version as the view keeps it. */
export interface VersionEntry<L extends LatestVersion> {
  /** The record's key in the view; its position is kept at `positionKey(key)`. */
  readonly key: string;
  /** Stored as JSON at `key`; made from the version's record alone, so every writer stores the same. */
  readonly latest: L;
  /** The version this one follows; null for a first version. */
  readonly previousVersionId: string | null;
  /**
   * The record's offset in its topic; undefined if unknown (such a version never displaces a sibling, nor is
   * displaced by one).
   */
  readonly offset: string | undefined;
  readonly index?: VersionIndex;
}

/** Where the viewed version of a record sits in its topic: a hash of `previous` (version id, '' for none) and `offset`. */
export function positionKey(key: string): string {
  return `${key}:position`;
}

/**
 * Compare-and-set of one version (with its index set, if any), atomically.
 * KEYS: 1 the record's latest version, 2 its position, 3 (optional) the index set. ARGV: 1 versionId,
 * 2 previousVersionId ('' for none), 3 the stored JSON, 4 the version's offset in its topic ('' if unknown); with an
 * index set: 5 the member, 6 the set's limit, 7 `add` or `remove` (the member's fate).
 * - the view holds this version: nothing (0, held), except that its position keeps the earliest offset it is found
 *   at (a version can be in the topic twice: an intake that died after its commit, then the client's retry), so
 *   the view converges on what a replay of the topic builds, whichever copy was applied first;
 * - it holds its predecessor, or holds nothing and this is a first version, or holds a sibling (a version with the
 *   same predecessor) that is earlier in the topic: the version and its position are written and the member added
 *   (removed for `remove`) (1, applied). Adding respects the limit: a member already there (a reservation) is not
 *   counted twice; a set already full is left as it is and the version still written (2, unindexed), so the
 *   record's chain stays whole and later versions still apply;
 * - it holds another version: nothing (-1, superseded); it holds nothing and this version has a predecessor:
 *   nothing (-2, gap).
 * Siblings happen when an intake dies between its commit and its view write and a different change of the same
 * record is accepted before a projector has applied the first: both follow the version the view showed. The later in
 * the topic is the later change, so it wins, whichever writer comes first and however often each runs. The set is
 * only touched when the version applies, so a late or repeated old version can never take a removed member back,
 * nor drop a reservation an intake has just made.
 */
const APPLY_VERSION = `
local current = redis.call('get', KEYS[1])
local held = false
if current then held = cjson.decode(current)['versionId'] end
if held == ARGV[1] then
  if ARGV[4] ~= '' then
    local position = redis.call('hmget', KEYS[2], 'previous', 'offset')
    if position[1] == ARGV[2] and (not position[2] or position[2] == '' or tonumber(ARGV[4]) < tonumber(position[2])) then
      redis.call('hset', KEYS[2], 'offset', ARGV[4])
    end
  end
  return 0
end
if held then
  if held ~= ARGV[2] then
    local position = redis.call('hmget', KEYS[2], 'previous', 'offset')
    local sibling = position[1] == ARGV[2] and position[2] and position[2] ~= '' and ARGV[4] ~= ''
    if not sibling or tonumber(ARGV[4]) <= tonumber(position[2]) then return -1 end
  end
elseif ARGV[2] ~= '' then
  return -2
end
local answer = 1
if KEYS[3] then
  if ARGV[7] == 'add' then
    if redis.call('sismember', KEYS[3], ARGV[5]) == 0 then
      if redis.call('scard', KEYS[3]) >= tonumber(ARGV[6]) then
        answer = 2
      else
        redis.call('sadd', KEYS[3], ARGV[5])
      end
    end
  else
    redis.call('srem', KEYS[3], ARGV[5])
  end
end
redis.call('set', KEYS[1], ARGV[3])
redis.call('hset', KEYS[2], 'previous', ARGV[2], 'offset', ARGV[4])
return answer`;

const VERSION_WRITES: Readonly<Record<number, VersionWrite>> = {
  1: 'applied',
  2: 'unindexed',
  0: 'held',
  [-1]: 'superseded',
  [-2]: 'gap',
};

/** Applies one version on top of its predecessor (APPLY_VERSION): idempotent and order-safe. */
export async function applyVersion<L extends LatestVersion>(
  redis: RedisClient,
  entry: VersionEntry<L>,
): Promise<VersionWrite> {
  const { key, latest, previousVersionId, offset, index } = entry;
  if (offset !== undefined && !/^\d+$/.test(offset)) throw new RangeError('a topic offset is a whole number');
  const version = [latest.versionId, previousVersionId ?? '', JSON.stringify(latest), offset ?? ''];
  const answer =
    index === undefined
      ? await redis.eval(APPLY_VERSION, 2, key, positionKey(key), ...version)
      : await redis.eval(
          APPLY_VERSION,
          3,
          key,
          positionKey(key),
          index.key,
          ...version,
          index.member,
          String(index.limit),
          index.fate,
        );
  const write = typeof answer === 'number' ? VERSION_WRITES[answer] : undefined;
  if (write === undefined) throw new Error('unexpected answer from the latest-version script');
  return write;
}

/**
 * The record's latest version, or undefined when the view holds none. The value is the JSON `applyVersion` stored
 * (this module's own), so it is not checked again.
 */
export async function readLatestVersion<L extends LatestVersion>(
  redis: RedisClient,
  key: string,
): Promise<L | undefined> {
  const raw = await redis.get(key);
  return raw === null ? undefined : (JSON.parse(raw) as L);
}
