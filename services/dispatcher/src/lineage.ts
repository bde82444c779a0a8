import type { DaPayloadKind } from '@hub/contracts';
import type { IssuedSlot } from '@hub/policy';
import type { RedisClient } from '@hub/redis';

/**
 * Which notification each new one amends, and which slots the receipt before an amendment filled: a Redis view of
 * `da.incident-decided.v1`, written by the dispatcher's handler and keyed by the position of the input that wrote
 * each entry (its offset in the input topic). Every answer for an input reads only entries of inputs strictly
 * before it, so it is a function of the inputs before it in its partition (all versions of an incident share one
 * partition: the topic's key is `<force>:<incidentId>`). A retried input, a redelivered batch, a batch retried
 * after an abort (whose later inputs already wrote their entries) and a replay from the earliest offset into an
 * empty key space all get the same answers; writing an input's entries again replaces them with the same.
 *
 * - Per slot (incident, kind, recipient, person) a sorted set scored by input offset, one entry per input that
 *   issued there: the notification id, or the withdrawal's id (a withdrawal is recorded in the slot of the
 *   notification it withdraws, so a later share there amends the withdrawal).
 * - Per incident a sorted set scored by input offset, one entry per dispatched receipt: the slots it filled (its
 *   notifications; not its withdrawals), so an amendment can tell which recipients it no longer sends anything to.
 *
 * A receipt can be in the topic twice (an intake that died after its commit, then the client's retry): an entry of
 * the same notification (or receipt) at an earlier offset is passed over, so the copy gets the same answers as the
 * original.
 */
export interface LineageSlot {
  readonly force: string;
  readonly incidentId: string;
  readonly kind: string;
  readonly recipient: string;
  readonly subjectRef: string | null;
}

/**
 * Entries kept per key, the oldest trimmed. An answer needs only the latest entries below its input, so trimming
 * matters only to an input re-run after this many later inputs of one incident wrote there, which neither a retry
 * (within one uncommitted batch) nor a replay (in order, into an empty key space) does. The intake has no limit on
 * versions per incident; real incidents have a handful.
 */
export const MAX_LINEAGE_ENTRIES = 256;

// The `:by-offset` keys are not the hashes this view used before (one input per transaction): an old key is left
// alone (a rebuild deletes it) rather than failing every dispatch of its incident with WRONGTYPE.
const slotKey = (slot: LineageSlot) =>
  `da:lineage:${slot.force}:${slot.incidentId}:${slot.kind}:${slot.recipient}:${slot.subjectRef ?? '-'}:by-offset`;

const issuedKey = (force: string, incidentId: string) => `da:issued:${force}:${incidentId}:by-offset`;

/**
 * Records one input's entry: any entry at the same offset is replaced, then the oldest beyond the limit trimmed.
 * KEYS: 1 the sorted set. ARGV: 1 the input's offset, 2 the entry, 3 the limit.
 */
const RECORD = `
redis.call('zremrangebyscore', KEYS[1], ARGV[1], ARGV[1])
redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
redis.call('zremrangebyrank', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
return 1`;

/**
 * The latest entry below the input's offset whose `field` is not `own` (an earlier copy of the same receipt), or nil.
 * KEYS: 1 the sorted set. ARGV: 1 the input's offset, 2 the field, 3 own value, 4 the limit.
 */
const LATEST_BEFORE = `
local entries = redis.call('zrevrangebyscore', KEYS[1], '(' .. ARGV[1], '-inf', 'LIMIT', 0, tonumber(ARGV[4]))
for _, entry in ipairs(entries) do
  if cjson.decode(entry)[ARGV[2]] ~= ARGV[3] then return entry end
end
return false`;

/** An input's offset in its topic partition, checked: a Redis score holds whole numbers exactly up to 2^53. */
function scoreOf(offset: string): string {
  if (!/^\d{1,16}$/.test(offset) || !Number.isSafeInteger(Number(offset))) {
    throw new RangeError('an input offset is a whole number below 2^53');
  }
  return String(Number(offset));
}

/** The input's offset is in each entry too, so entries of two inputs never collide as members of the set. */
interface SlotEntry {
  readonly offset: string;
  readonly notificationId: string;
}

interface IssuedEntry {
  readonly offset: string;
  readonly receiptId: string;
  readonly slots: readonly IssuedSlot[];
}

function notificationIdOf(raw: string | null): string | null {
  if (raw === null) return null;
  const entry = JSON.parse(raw) as Partial<Record<keyof SlotEntry, unknown>>;
  if (typeof entry.notificationId !== 'string') throw new Error('da:lineage holds a malformed entry');
  return entry.notificationId;
}

function parseSlots(value: unknown): IssuedSlot[] {
  if (!Array.isArray(value)) throw new Error('da:issued holds no slot list');
  return value.map((entry: unknown): IssuedSlot => {
    const slot = entry as Partial<Record<keyof IssuedSlot, unknown>>;
    if (
      typeof slot.kind !== 'string' ||
      typeof slot.recipient !== 'string' ||
      typeof slot.notificationId !== 'string' ||
      (slot.subjectRef !== null && typeof slot.subjectRef !== 'string')
    ) {
      throw new Error('da:issued holds a malformed slot');
    }
    return {
      kind: slot.kind as DaPayloadKind,
      recipient: slot.recipient,
      subjectRef: slot.subjectRef,
      notificationId: slot.notificationId,
    };
  });
}

export function createLineage(redis: RedisClient) {
  const latestBefore = async (key: string, offset: string, field: string, own: string): Promise<string | null> => {
    const entry = await redis.eval(LATEST_BEFORE, 1, key, scoreOf(offset), field, own, String(MAX_LINEAGE_ENTRIES));
    if (entry !== null && typeof entry !== 'string') throw new Error('unexpected answer from the lineage script');
    return entry;
  };
  const record = async (key: string, offset: string, entry: object) => {
    await redis.eval(RECORD, 1, key, scoreOf(offset), JSON.stringify(entry), String(MAX_LINEAGE_ENTRIES));
  };

  return {
    /**
     * The id `notificationId`, issued by the input at `offset`, amends in `slot`: the latest recorded there by an
     * earlier input (other than an earlier copy of itself), or null for the first notification there.
     */
    async amends(slot: LineageSlot, offset: string, notificationId: string): Promise<string | null> {
      return notificationIdOf(await latestBefore(slotKey(slot), offset, 'notificationId', notificationId));
    },
    /** Records that the input at `offset` issued `notificationId` (a notification or a withdrawal) in `slot`. */
    async record(slot: LineageSlot, offset: string, notificationId: string): Promise<void> {
      await record(slotKey(slot), offset, { offset: scoreOf(offset), notificationId } satisfies SlotEntry);
    },
    /**
     * The slots filled by the incident's latest receipt dispatched before `offset` (other than an earlier copy of
     * `receiptId`). Empty for an incident's first receipt.
     */
    async issuedBefore(force: string, incidentId: string, offset: string, receiptId: string): Promise<IssuedSlot[]> {
      const raw = await latestBefore(issuedKey(force, incidentId), offset, 'receiptId', receiptId);
      if (raw === null) return [];
      return parseSlots((JSON.parse(raw) as Partial<IssuedEntry>).slots);
    },
    /** Records the slots `receiptId`, the input at `offset`, filled (its notifications; not its withdrawals). */
    async recordIssued(
      force: string,
      incidentId: string,
      offset: string,
      receiptId: string,
      slots: readonly IssuedSlot[],
    ): Promise<void> {
      const entry: IssuedEntry = {
        offset: scoreOf(offset),
        receiptId,
        slots: slots.map(({ kind, recipient, subjectRef, notificationId }) => ({
          kind,
          recipient,
          subjectRef,
          notificationId,
        })),
      };
      await record(issuedKey(force, incidentId), offset, entry);
    },
  };
}

export type Lineage = ReturnType<typeof createLineage>;
