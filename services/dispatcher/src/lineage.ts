import type { IssuedNotification } from '@hub/contracts';
import { slotKeyOf, type IssuedSlot, type NotificationSlot } from '@hub/policy';
import { evalEach, type RedisClient } from '@hub/redis';

/**
 * Which notification each new one amends, and which slots the receipt before an amendment filled: the Redis view
 * `amendment-lineage`, a function of the domestic-abuse notifications issued (`notifications.issued.v1`). Each
 * issued record carries its `lineage` (incident, the offset of the decision set it came from in
 * `da.incident-decided.v1`, its slot's kind), and `recordIssued` turns one record into its entries. The dispatcher
 * calls it for the records it is about to commit (it needs them at once, for the next inputs of its batch); its
 * projector calls it for the same records once committed, and to rebuild the view from the topic. Both write the
 * same bytes, and writing a record again changes nothing, in any order.
 *
 * - Per slot (incident, kind, recipient, person) a sorted set scored by decision offset, one entry per decision set
 *   that issued there: the notification, or a withdrawal (recorded in the slot of the notification it withdraws,
 *   so a later share there amends the withdrawal).
 * - Per incident a sorted set scored by decision offset, one entry per notification and withdrawal: the decision
 *   sets that issued something, with the slots each filled; one whose entries are all withdrawals filled none.
 *
 * Every answer for the decision set at an offset reads only entries of offsets strictly before it, so it is a
 * function of the inputs before it in its partition (all versions of an incident share one partition: the topic's
 * key is `<force>:<incidentId>`). A receipt can be in the topic twice (an intake that died after its commit, or whose
 * commit outlived its request's deadline, then the client's retry): an entry of the same notification (or receipt) at
 * an earlier offset is passed over, so the copy gets the same answers as the original, and `issuedEarlier` tells the
 * dispatcher that what the copy would issue is issued already.
 */
export interface LineageSlot {
  readonly force: string;
  readonly incidentId: string;
  readonly kind: string;
  readonly recipient: string;
  readonly subjectRef: string | null;
}

/**
 * Decision sets kept per key (per slot: entries; per incident: offsets), the oldest trimmed. An answer needs only
 * the latest entries below its input, so trimming matters only to an input handled again after this many later
 * inputs of one incident wrote there, which neither a retry (within one uncommitted batch) nor a replay does. The
 * intake has no limit on versions per incident; real incidents have a handful.
 */
export const MAX_LINEAGE_ENTRIES = 256;

// Not the keys this view had before it was derived from the issued topic: an old per-incident `:by-offset` set
// (one member per receipt) is left alone until a rebuild deletes it, rather than read in another format.
const slotKey = (slot: LineageSlot) =>
  `da:lineage:${slot.force}:${slot.incidentId}:${slot.kind}:${slot.recipient}:${slot.subjectRef ?? '-'}:by-offset`;

const incidentKey = (force: string, incidentId: string) => `da:issued:${force}:${incidentId}:slots-by-offset`;

/**
 * Records one issued record: in its slot's set, the entry at its offset replaced by its own, the oldest beyond the
 * limit trimmed; in its incident's set, an entry of the same slot at its offset replaced by its own, then the
 * offsets beyond the limit trimmed, whole. Replacing only the same slot, and trimming only whole offsets older than
 * the newest `limit` present, gives the same set whatever order an offset's records come in.
 * KEYS: 1 the slot's set, 2 the incident's set. ARGV: 1 the offset, 2 the slot entry, 3 the incident entry,
 * 4 the limit.
 */
const RECORD = `
local limit = tonumber(ARGV[4])
redis.call('zremrangebyscore', KEYS[1], ARGV[1], ARGV[1])
redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
redis.call('zremrangebyrank', KEYS[1], 0, -(limit + 1))
local new = cjson.decode(ARGV[3])
for _, member in ipairs(redis.call('zrangebyscore', KEYS[2], ARGV[1], ARGV[1])) do
  local old = cjson.decode(member)
  if old.kind == new.kind and old.recipient == new.recipient and old.subjectRef == new.subjectRef then
    redis.call('zrem', KEYS[2], member)
  end
end
redis.call('zadd', KEYS[2], ARGV[1], ARGV[3])
if redis.call('zcard', KEYS[2]) > limit then
  local entries = redis.call('zrevrange', KEYS[2], 0, -1, 'WITHSCORES')
  local offsets, last = 0, nil
  for i = 2, #entries, 2 do
    if entries[i] ~= last then
      offsets, last = offsets + 1, entries[i]
      if offsets > limit then
        redis.call('zremrangebyscore', KEYS[2], '-inf', last)
        break
      end
    end
  end
end
return 1`;

/**
 * The latest slot entry below the offset whose notification is not `own` (an earlier copy of the same one), or nil.
 * KEYS: 1 the slot's set. ARGV: 1 the offset, 2 own notification id, 3 the limit.
 */
const AMENDS = `
local entries = redis.call('zrevrangebyscore', KEYS[1], '(' .. ARGV[1], '-inf', 'LIMIT', 0, tonumber(ARGV[3]))
for _, entry in ipairs(entries) do
  if cjson.decode(entry).notificationId ~= ARGV[2] then return entry end
end
return false`;

/**
 * The entries of the latest offset below the given one whose receipt is not `own` (an earlier copy of the same
 * receipt), withdrawals included (a decision set that only withdrew filled nothing), or an empty list.
 * KEYS: 1 the incident's set. ARGV: 1 the offset, 2 own receipt id.
 */
const ISSUED_BEFORE = `
local entries = redis.call('zrevrangebyscore', KEYS[1], '(' .. ARGV[1], '-inf', 'WITHSCORES')
local found = {}
local chosen = nil
for i = 1, #entries, 2 do
  if chosen == nil and cjson.decode(entries[i]).receiptId ~= ARGV[2] then chosen = entries[i + 1] end
  if chosen ~= nil then
    if entries[i + 1] ~= chosen then break end
    table.insert(found, entries[i])
  end
end
return found`;

/** An offset checked: a Redis score holds whole numbers exactly up to 2^53. */
function scoreOf(offset: string): string {
  if (!/^\d{1,16}$/.test(offset) || !Number.isSafeInteger(Number(offset))) {
    throw new RangeError('an input offset is a whole number below 2^53');
  }
  return String(Number(offset));
}

/** A slot's entry. Its offset is in it too, so entries of two decision sets never collide as members. */
interface SlotEntry {
  readonly offset: string;
  readonly notificationId: string;
}

/** An incident's entry: one notification or withdrawal, in its slot. */
interface IncidentEntry extends IssuedSlot {
  readonly offset: string;
  readonly receiptId: string;
  readonly withdrawal: boolean;
}

/** What `recordIssued` writes for one issued record. */
interface LineageEntry {
  readonly slot: LineageSlot;
  readonly offset: string;
  readonly receiptId: string;
  readonly notificationId: string;
  readonly withdrawal: boolean;
}

/**
 * An issued record's place in the lineage, from the record alone: null for one without `lineage` (a
 * child-protection notification, or one issued before the field existed).
 */
function lineageEntryOf(notification: IssuedNotification): LineageEntry | null {
  const { lineage } = notification;
  if (lineage === undefined) return null;
  const separator = lineage.incidentRef.indexOf(':');
  return {
    slot: {
      force: lineage.incidentRef.slice(0, separator),
      incidentId: lineage.incidentRef.slice(separator + 1),
      kind: lineage.slotKind,
      recipient: notification.recipient,
      subjectRef: notification.subjectRef,
    },
    offset: scoreOf(lineage.decisionOffset),
    receiptId: notification.receiptId,
    notificationId: notification.notificationId,
    withdrawal: notification.kind === 'da-withdrawal',
  };
}

function parseEntry(raw: unknown): IncidentEntry {
  const entry = (typeof raw === 'string' ? JSON.parse(raw) : {}) as Partial<Record<keyof IncidentEntry, unknown>>;
  if (
    typeof entry.kind !== 'string' ||
    typeof entry.recipient !== 'string' ||
    typeof entry.notificationId !== 'string' ||
    typeof entry.withdrawal !== 'boolean' ||
    (entry.subjectRef !== null && typeof entry.subjectRef !== 'string')
  ) {
    throw new Error('da:issued holds a malformed entry');
  }
  return entry as IncidentEntry;
}

export function createLineage(redis: RedisClient) {
  return {
    /**
     * The id `notificationId`, issued for the decision set at `offset`, amends in `slot`: the latest recorded
     * there for an earlier one (other than an earlier copy of itself), or null for the first notification there.
     */
    async amends(slot: LineageSlot, offset: string, notificationId: string): Promise<string | null> {
      const raw = await redis.eval(AMENDS, 1, slotKey(slot), scoreOf(offset), notificationId, MAX_LINEAGE_ENTRIES);
      if (raw === null) return null;
      const entry = (typeof raw === 'string' ? JSON.parse(raw) : null) as Partial<SlotEntry> | null;
      if (typeof entry?.notificationId !== 'string') throw new Error('da:lineage holds a malformed entry');
      return entry.notificationId;
    },
    /**
     * Whether `notificationId` is in `slot` already, from a decision set before `offset`: this decision set is a copy
     * of that one (the same receipt recorded twice, below), and what it would issue there has been issued.
     */
    async issuedEarlier(slot: LineageSlot, offset: string, notificationId: string): Promise<boolean> {
      const entries = await redis.zrevrangebyscore(
        slotKey(slot),
        `(${scoreOf(offset)}`,
        '-inf',
        'LIMIT',
        0,
        MAX_LINEAGE_ENTRIES,
      );
      return entries.some((entry) => (JSON.parse(entry) as Partial<SlotEntry>).notificationId === notificationId);
    },
    /**
     * The slots filled by the incident's latest decision set that issued something before `offset` (other than an
     * earlier copy of `receiptId`), in slot order: empty for an incident's first, and after one that only withdrew.
     */
    async issuedBefore(force: string, incidentId: string, offset: string, receiptId: string): Promise<IssuedSlot[]> {
      const raw = await redis.eval(ISSUED_BEFORE, 1, incidentKey(force, incidentId), scoreOf(offset), receiptId);
      if (!Array.isArray(raw)) throw new Error('unexpected answer from the lineage script');
      return raw
        .map(parseEntry)
        .filter((entry) => !entry.withdrawal)
        .map(({ kind, recipient, subjectRef, notificationId }): IssuedSlot => ({
          kind,
          recipient,
          subjectRef,
          notificationId,
        }))
        .map((slot) => [slotKeyOf(slot), slot] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, slot]) => slot);
    },
    /**
     * Records one issued record (a notification or a withdrawal) in its slot and its incident; false, writing
     * nothing, for a record without `lineage`. The dispatcher's write and its projector's, so one function.
     */
    async recordIssued(notification: IssuedNotification): Promise<boolean> {
      const call = recordCall(notification);
      if (call === null) return false;
      await redis.eval(RECORD, ...call);
      return true;
    },
    /**
     * `recordIssued` for many records in one pipeline (the projector's fetched batch): one round trip. The writes
     * are idempotent and order-free (each entry is scored by its decision's offset), so a batch may run again.
     */
    async recordAllIssued(notifications: readonly IssuedNotification[]): Promise<void> {
      await evalEach(
        redis,
        RECORD,
        notifications.flatMap((notification) => {
          const call = recordCall(notification);
          return call === null ? [] : [call];
        }),
      );
    },
  };
}

/** The RECORD script's `numKeys, ...keys, ...args` for an issued record; null for one without `lineage`. */
function recordCall(notification: IssuedNotification): [number, ...string[]] | null {
  const entry = lineageEntryOf(notification);
  if (entry === null) return null;
  const { slot, offset, receiptId, notificationId, withdrawal } = entry;
  const slotEntry: SlotEntry = { offset, notificationId };
  const incidentEntry: IncidentEntry = {
    offset,
    receiptId,
    kind: slot.kind as NotificationSlot['kind'],
    recipient: slot.recipient,
    subjectRef: slot.subjectRef,
    notificationId,
    withdrawal,
  };
  return [
    2,
    slotKey(slot),
    incidentKey(slot.force, slot.incidentId),
    offset,
    JSON.stringify(slotEntry),
    JSON.stringify(incidentEntry),
    String(MAX_LINEAGE_ENTRIES),
  ];
}

export type Lineage = ReturnType<typeof createLineage>;
