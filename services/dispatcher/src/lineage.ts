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

/** A key's members with their scores, in Redis's order (by score, then member), lowest first. */
type Entries = readonly (readonly [member: string, score: number])[];

/** ZRANGE's `WITHSCORES` answer as entries. */
function entriesOf(flat: readonly string[]): Entries {
  const entries: (readonly [string, number])[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i] ?? '', Number(flat[i + 1])]);
  return entries;
}

/** The entries of decision sets before `offset`, latest first (ZREVRANGEBYSCORE key (offset -inf). */
function before(entries: Entries, offset: string): Entries {
  const score = Number(scoreOf(offset));
  return entries.filter(([, at]) => at < score).reverse();
}

function slotEntryOf(member: string): SlotEntry {
  const entry = JSON.parse(member) as Partial<SlotEntry> | null;
  if (typeof entry?.notificationId !== 'string') throw new Error('da:lineage holds a malformed entry');
  return entry as SlotEntry;
}

/**
 * What a dispatch reads and writes of the lineage. Every answer for the decision set at `offset` comes from the
 * entries of offsets strictly before it (the keys' full contents are read, the filtering is here).
 */
export interface LineageReads {
  /**
   * The id `notificationId`, issued for the decision set at `offset`, amends in `slot`: the latest recorded there
   * for an earlier one (other than an earlier copy of itself), or null for the first notification there.
   */
  amends(slot: LineageSlot, offset: string, notificationId: string): Promise<string | null>;
  /**
   * Whether `notificationId` is in `slot` already, from a decision set before `offset`: this decision set is a copy
   * of that one (the same receipt recorded twice, above), and what it would issue there has been issued.
   */
  issuedEarlier(slot: LineageSlot, offset: string, notificationId: string): Promise<boolean>;
  /**
   * The slots filled by the incident's latest decision set that issued something before `offset` (other than an
   * earlier copy of `receiptId`), in slot order: empty for an incident's first, and after one that only withdrew.
   */
  issuedBefore(force: string, incidentId: string, offset: string, receiptId: string): Promise<IssuedSlot[]>;
  /**
   * Records issued records (notifications and withdrawals) in their slots and incidents, in one pipeline: one round
   * trip. Idempotent and order-free (each entry is scored by its decision's offset), so it may run again.
   */
  recordAllIssued(notifications: readonly IssuedNotification[]): Promise<void>;
}

/** What the decision sets of a round read: their incidents, and the slots they would fill. */
export interface RoundNeeds {
  readonly incidents: readonly { readonly force: string; readonly incidentId: string }[];
  readonly slots: readonly LineageSlot[];
}

/** The answers of `LineageReads`, from the keys' entries as `load` reads them. */
function readsFrom(load: (key: string) => Promise<Entries>): Omit<LineageReads, 'recordAllIssued'> {
  return {
    async amends(slot, offset, notificationId) {
      for (const [member] of before(await load(slotKey(slot)), offset)) {
        const entry = slotEntryOf(member);
        if (entry.notificationId !== notificationId) return entry.notificationId;
      }
      return null;
    },
    async issuedEarlier(slot, offset, notificationId) {
      return before(await load(slotKey(slot)), offset)
        .slice(0, MAX_LINEAGE_ENTRIES)
        .some(([member]) => slotEntryOf(member).notificationId === notificationId);
    },
    async issuedBefore(force, incidentId, offset, receiptId) {
      // The latest offset with an entry of another receipt, and every entry at that offset.
      const found: IncidentEntry[] = [];
      let chosen: number | undefined;
      for (const [member, at] of before(await load(incidentKey(force, incidentId)), offset)) {
        const entry = parseEntry(member);
        if (chosen === undefined && entry.receiptId !== receiptId) chosen = at;
        if (chosen === undefined) continue;
        if (at !== chosen) break;
        found.push(entry);
      }
      return found
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
  };
}

const unique = (keys: readonly string[]) => [...new Set(keys)];

export function createLineage(redis: RedisClient) {
  const load = async (key: string): Promise<Entries> => entriesOf(await redis.zrange(key, 0, -1, 'WITHSCORES'));

  /** Several keys' entries in one pipeline. */
  async function loadAll(keys: readonly string[], into: Map<string, Entries>): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.zrange(key, 0, -1, 'WITHSCORES');
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, index) => {
      const [error, flat] = replies[index] ?? [new Error('no answer from Redis'), null];
      if (error !== null) throw error;
      into.set(key, entriesOf(flat as string[]));
    });
  }

  async function recordAllIssued(notifications: readonly IssuedNotification[]): Promise<void> {
    await evalEach(redis, RECORD, recordCalls(notifications));
  }

  return {
    ...readsFrom(load),
    recordAllIssued,
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
     * The reads of a round of decision sets (`prepareRound`), loaded at once: the incidents' keys and the slots'
     * in one pipeline, then the slots the incidents' entries name (what an amendment may withdraw) in a second, if
     * any is new. A key a record of the round is written to is read from Redis again by the inputs after it (an
     * amendment after its original in one round reads what the original wrote), as is a key not loaded.
     */
    async forRound(needs: RoundNeeds): Promise<LineageReads> {
      const loaded = new Map<string, Entries>();
      await loadAll(
        unique([
          ...needs.incidents.map(({ force, incidentId }) => incidentKey(force, incidentId)),
          ...needs.slots.map(slotKey),
        ]),
        loaded,
      );
      const named = needs.incidents.flatMap(({ force, incidentId }) =>
        (loaded.get(incidentKey(force, incidentId)) ?? []).map(([member]) => {
          const { kind, recipient, subjectRef } = parseEntry(member);
          return slotKey({ force, incidentId, kind, recipient, subjectRef });
        }),
      );
      await loadAll(
        unique(named).filter((key) => !loaded.has(key)),
        loaded,
      );
      const written = new Set<string>();
      return {
        ...readsFrom((key) => {
          const entries = written.has(key) ? undefined : loaded.get(key);
          return entries === undefined ? load(key) : Promise.resolve(entries);
        }),
        async recordAllIssued(notifications) {
          // Marked before the write: a write that fails half-way leaves no stale entries to read.
          for (const [, ...keys] of recordCalls(notifications)) {
            written.add(String(keys[0]));
            written.add(String(keys[1]));
          }
          await recordAllIssued(notifications);
        },
      };
    },
  };
}

/** The RECORD script's calls for the records that have `lineage`. */
function recordCalls(notifications: readonly IssuedNotification[]): [number, ...string[]][] {
  return notifications.flatMap((notification) => {
    const call = recordCall(notification);
    return call === null ? [] : [call];
  });
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
