import { createHash } from 'node:crypto';
import { canonicalJson, type AuditEvent } from '@hub/contracts';
import type { RedisClient } from '@hub/redis';

/**
 * The audit store: a Redis view of `audit.events.v1`, searchable by receipt, NHS number, recipient and time, and
 * tamper-evident. Each Kafka partition's events form a hash chain (`chainHash = sha256(previous chainHash +
 * canonical event)`), so editing or deleting a stored event breaks every later link; `verifyChain` checks it.
 * Kafka stays the record: the store can be rebuilt by replaying the topic.
 */
export interface StoredAuditEvent extends AuditEvent {
  readonly chain: { readonly partition: number; readonly position: number; readonly hash: string };
}

export interface AuditQuery {
  readonly receiptId?: string | undefined;
  readonly nhsNumber?: string | undefined;
  readonly recipient?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** Continue after this event (the last one of the previous page). */
  readonly after?: { readonly time: number; readonly eventId: string } | undefined;
  readonly limit: number;
}

const GENESIS = '0'.repeat(64);
/** Links read per round trip by verifyChain. */
const CHAIN_BATCH = 500;

/** A stored event, or undefined when the stored text is not one (tampering shows as a broken link, not a 500). */
function parseStored(value: string): StoredAuditEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const chain: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'chain') : undefined;
  return typeof chain === 'object' && chain !== null ? (parsed as StoredAuditEvent) : undefined;
}

const keys = {
  event: (eventId: string) => `audit:event:${eventId}`,
  head: (partition: number) => `audit:chain:${partition}:head`,
  link: (partition: number) => `audit:chain:${partition}:links`,
  byTime: 'audit:index:time',
  byReceipt: (receiptId: string) => `audit:index:receipt:${receiptId}`,
  byNhsNumber: (nhsNumber: string) => `audit:index:nhs:${nhsNumber}`,
  byRecipient: (recipient: string) => `audit:index:recipient:${recipient}`,
};

// Stores the event and extends its partition's chain atomically, only if the chain head is still `previous`.
// Returns 1 stored, 0 already stored (redelivery), -1 head moved (a concurrent writer; retry).
const APPEND = `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local head = redis.call('get', KEYS[2]) or ARGV[1]
if head ~= ARGV[2] then return -1 end
redis.call('set', KEYS[1], ARGV[3])
redis.call('set', KEYS[2], ARGV[4])
redis.call('rpush', KEYS[3], ARGV[5])
local score = tonumber(ARGV[6])
for i = 4, #KEYS do redis.call('zadd', KEYS[i], score, ARGV[5]) end
return 1`;

function indexKeys(event: AuditEvent): string[] {
  return [
    keys.byTime,
    ...(event.receiptId === null ? [] : [keys.byReceipt(event.receiptId)]),
    ...(event.nhsNumber === null ? [] : [keys.byNhsNumber(event.nhsNumber)]),
    ...(event.recipient === null ? [] : [keys.byRecipient(event.recipient)]),
  ];
}

export function chainHash(previous: string, event: AuditEvent): string {
  return createHash('sha256').update(previous).update(canonicalJson(event)).digest('hex');
}

export function createAuditStore(redis: RedisClient) {
  async function append(event: AuditEvent, partition: number): Promise<'stored' | 'duplicate'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const previous = (await redis.get(keys.head(partition))) ?? GENESIS;
      const position = await redis.llen(keys.link(partition));
      const hash = chainHash(previous, event);
      const stored: StoredAuditEvent = { ...event, chain: { partition, position, hash } };
      const index = indexKeys(event);
      const result = (await redis.eval(
        APPEND,
        3 + index.length,
        keys.event(event.eventId),
        keys.head(partition),
        keys.link(partition),
        ...index,
        GENESIS,
        previous,
        JSON.stringify(stored),
        hash,
        event.eventId,
        String(Date.parse(event.at)),
      )) as number;
      if (result === 1) return 'stored';
      if (result === 0) return 'duplicate';
    }
    throw new Error('audit chain head kept moving; is a second writer consuming the same partition?');
  }

  async function load(eventIds: readonly string[]): Promise<StoredAuditEvent[]> {
    if (eventIds.length === 0) return [];
    const raw = await redis.mget(...eventIds.map(keys.event));
    return raw.flatMap((value) => (value === null ? [] : [JSON.parse(value) as StoredAuditEvent]));
  }

  /** Events matching every given filter, oldest first. Uses the most selective index, filters by the rest. */
  async function search(query: AuditQuery): Promise<StoredAuditEvent[]> {
    const index =
      query.receiptId !== undefined
        ? keys.byReceipt(query.receiptId)
        : query.nhsNumber !== undefined
          ? keys.byNhsNumber(query.nhsNumber)
          : query.recipient !== undefined
            ? keys.byRecipient(query.recipient)
            : keys.byTime;
    // A cursor continues from its event, but never before `from` (a cursor reused with a later `from`).
    const from = query.from?.getTime();
    const min =
      query.after === undefined
        ? (from ?? '-inf')
        : from === undefined
          ? query.after.time
          : Math.max(from, query.after.time);
    const max = query.to?.getTime() ?? '+inf';
    const matches: StoredAuditEvent[] = [];
    // Events stored while the scan runs can land before `offset` (same or earlier time), shifting already-read ids
    // into the next batch; `seen` keeps each event once. Nothing is ever removed from an index, so nothing is skipped.
    const seen = new Set<string>();
    let offset = 0;
    const batch = Math.max(query.limit * 2, 50);
    // Scan the chosen index in time order until the page is full; bounded by the index's own size.
    for (;;) {
      const ids = await redis.zrangebyscore(index, min, max, 'LIMIT', offset, batch);
      if (ids.length === 0) break;
      offset += ids.length;
      const unseen = ids.filter((id) => !seen.has(id));
      for (const id of unseen) seen.add(id);
      for (const event of await load(unseen)) {
        const time = Date.parse(event.at);
        if (query.after !== undefined && time === query.after.time && event.eventId <= query.after.eventId) continue;
        if (query.receiptId !== undefined && event.receiptId !== query.receiptId) continue;
        if (query.nhsNumber !== undefined && event.nhsNumber !== query.nhsNumber) continue;
        if (query.recipient !== undefined && event.recipient !== query.recipient) continue;
        matches.push(event);
        if (matches.length === query.limit) return matches;
      }
    }
    return matches;
  }

  /**
   * Recomputes a partition's chain from its stored events; answers the first broken position, if any. The length
   * and head are read together (MULTI), so events appended while it runs are left for the next verification
   * instead of looking like a broken head. Events are read in batches of CHAIN_BATCH.
   */
  async function verifyChain(
    partition: number,
  ): Promise<{ ok: true; length: number } | { ok: false; brokenAt: number }> {
    const snapshot = await redis.multi().llen(keys.link(partition)).get(keys.head(partition)).exec();
    const length = Number(snapshot?.[0]?.[1] ?? 0);
    const head = (snapshot?.[1]?.[1] as string | null | undefined) ?? GENESIS;
    let previous = GENESIS;
    for (let start = 0; start < length; start += CHAIN_BATCH) {
      const ids = await redis.lrange(keys.link(partition), start, Math.min(start + CHAIN_BATCH, length) - 1);
      const raw = ids.length === 0 ? [] : await redis.mget(...ids.map(keys.event));
      for (const [offset, value] of raw.entries()) {
        const position = start + offset;
        const stored = value === null ? undefined : parseStored(value);
        if (stored === undefined) return { ok: false, brokenAt: position };
        const { chain, ...event } = stored;
        const expected = chainHash(previous, event);
        if (chain.hash !== expected || chain.position !== position) return { ok: false, brokenAt: position };
        previous = expected;
      }
      if (ids.length < Math.min(CHAIN_BATCH, length - start)) return { ok: false, brokenAt: start + ids.length };
    }
    return head === previous ? { ok: true, length } : { ok: false, brokenAt: length };
  }

  return { append, search, verifyChain };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
