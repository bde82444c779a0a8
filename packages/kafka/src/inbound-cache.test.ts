import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createInboundCache, type CachedOutcome } from './inbound-cache.ts';

const schema = z.object({ ref: z.string(), items: z.array(z.object({ n: z.number() })) });
const otherSchema = z.object({ ref: z.string() });

/** A reader that parses and checks `bytes` against `against`, counting its calls. */
function reader(bytes: Buffer, against: z.ZodType = schema): { read: () => CachedOutcome; calls: () => number } {
  let calls = 0;
  return {
    read: () => {
      calls++;
      const checked = against.safeParse(JSON.parse(bytes.toString('utf8')));
      return checked.success
        ? { ok: true, value: checked.data }
        : { ok: false, reason: 'contract-violation', detail: `${checked.error.issues.length} issues` };
    },
    calls: () => calls,
  };
}

const value = (ref: string): Buffer => Buffer.from(JSON.stringify({ ref, items: [{ n: 1 }, { n: 2 }] }));

describe('inbound cache', () => {
  it('reads a record once and hands every later reader an equal value of its own', () => {
    const cache = createInboundCache();
    const bytes = value('a');
    const { read, calls } = reader(bytes);
    const first = cache.outcome('t', 0, '5', schema, bytes, read);
    // A later reader's record is another buffer with the same bytes (each group fetches its own).
    const second = cache.outcome('t', 0, '5', schema, Buffer.from(bytes), read);
    const third = cache.outcome('t', 0, '5', schema, Buffer.from(bytes), read);
    expect(calls()).toBe(1);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    if (!first.ok || !second.ok || !third.ok) throw new Error('expected values');
    expect(second.value).not.toBe(first.value);
    expect(third.value).not.toBe(second.value);
  });

  it('keeps what one reader does to its value from every other reader', () => {
    const cache = createInboundCache();
    const bytes = value('a');
    const { read } = reader(bytes);
    const first = cache.outcome('t', 0, '5', schema, bytes, read);
    if (!first.ok) throw new Error('expected a value');
    const mutated = first.value as { ref: string; items: { n: number }[] };
    mutated.ref = 'changed';
    mutated.items.push({ n: 3 });
    (mutated.items[0] as { n: number }).n = 99;
    const second = cache.outcome('t', 0, '5', schema, bytes, read);
    if (!second.ok) throw new Error('expected a value');
    const seen = second.value as { ref: string; items: { n: number }[] };
    expect(seen).toEqual({ ref: 'a', items: [{ n: 1 }, { n: 2 }] });
    seen.items.length = 0;
    const third = cache.outcome('t', 0, '5', schema, bytes, read);
    expect(third).toEqual({ ok: true, value: { ref: 'a', items: [{ n: 1 }, { n: 2 }] } });
  });

  it('never answers one content for another at the same coordinates (a recreated topic, another namespace)', () => {
    const cache = createInboundCache();
    const a = value('a');
    const b = value('b'); // same length as a: only the bytes tell them apart
    expect(b.length).toBe(a.length);
    cache.outcome('t', 0, '5', schema, a, reader(a).read);
    const fromB = reader(b);
    expect(cache.outcome('t', 0, '5', schema, b, fromB.read)).toEqual({
      ok: true,
      value: { ref: 'b', items: [{ n: 1 }, { n: 2 }] },
    });
    expect(fromB.calls()).toBe(1);
    // And back: the entry now holds b's reading, so a is read again.
    const fromA = reader(a);
    expect(cache.outcome('t', 0, '5', schema, a, fromA.read)).toMatchObject({ ok: true, value: { ref: 'a' } });
    expect(fromA.calls()).toBe(1);
  });

  it('never answers one contract for another (zod strips differently per schema)', () => {
    const cache = createInboundCache();
    const bytes = value('a');
    cache.outcome('t', 0, '5', schema, bytes, reader(bytes).read);
    const stripped = cache.outcome('t', 0, '5', otherSchema, bytes, reader(bytes, otherSchema).read);
    expect(stripped).toEqual({ ok: true, value: { ref: 'a' } });
  });

  it('keeps coordinates apart: partition and offset are part of the key', () => {
    const cache = createInboundCache();
    const bytes = value('a');
    const counted = reader(bytes);
    cache.outcome('t', 0, '5', schema, bytes, counted.read);
    cache.outcome('t', 1, '5', schema, bytes, counted.read);
    cache.outcome('t', 0, '6', schema, bytes, counted.read);
    cache.outcome('u', 0, '5', schema, bytes, counted.read);
    expect(counted.calls()).toBe(4);
    expect(cache.size).toBe(4);
  });

  it('answers a dead-letter reading unchanged from the cache', () => {
    const cache = createInboundCache();
    const bytes = Buffer.from('{"ref":1}');
    const counted = reader(bytes);
    const first = cache.outcome('t', 0, '5', schema, bytes, counted.read);
    const second = cache.outcome('t', 0, '5', schema, Buffer.from(bytes), counted.read);
    expect(first).toEqual({ ok: false, reason: 'contract-violation', detail: '2 issues' });
    expect(second).toEqual(first);
    expect(counted.calls()).toBe(1);
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = createInboundCache({ maxEntries: 3 });
    const bytes = value('a');
    const counted = reader(bytes);
    for (let offset = 0; offset < 10; offset++) cache.outcome('t', 0, String(offset), schema, bytes, counted.read);
    expect(cache.size).toBe(3);
    expect(counted.calls()).toBe(10);
    cache.outcome('t', 0, '9', schema, bytes, counted.read);
    cache.outcome('t', 0, '7', schema, bytes, counted.read);
    expect(counted.calls()).toBe(10);
    cache.outcome('t', 0, '6', schema, bytes, counted.read);
    expect(counted.calls()).toBe(11);
  });

  it('holds at most maxBytes of values, and never a value larger than that', () => {
    const bytes = value('a');
    const cache = createInboundCache({ maxEntries: 100, maxBytes: bytes.length * 2 + 1 });
    const counted = reader(bytes);
    for (let offset = 0; offset < 10; offset++) {
      cache.outcome('t', 0, String(offset), schema, bytes, counted.read);
      expect(cache.bytes).toBeLessThanOrEqual(bytes.length * 2 + 1);
    }
    expect(cache.size).toBe(2);
    const large = Buffer.from(JSON.stringify({ ref: 'x'.repeat(100), items: [] }));
    const fromLarge = reader(large);
    cache.outcome('t', 0, '99', schema, large, fromLarge.read);
    cache.outcome('t', 0, '99', schema, large, fromLarge.read);
    expect(fromLarge.calls()).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(bytes.length * 2 + 1);
  });

  it('keeps no part of the fetched buffer alive, and is not fooled by it changing', () => {
    const cache = createInboundCache();
    const bytes = value('a');
    const counted = reader(bytes);
    cache.outcome('t', 0, '5', schema, bytes, counted.read);
    bytes.write('b', bytes.indexOf('"a"') + 1); // the buffer kafkajs gave is reused or changed afterwards
    const after = reader(Buffer.from(bytes));
    expect(cache.outcome('t', 0, '5', schema, bytes, after.read)).toMatchObject({ ok: true, value: { ref: 'b' } });
    expect(after.calls()).toBe(1);
  });

  it('does not cache a value that is not plain data, rather than copy it wrongly', () => {
    const cache = createInboundCache();
    const dated = z.object({ at: z.string().transform((s) => new Date(s)) });
    const bytes = Buffer.from('{"at":"2026-01-01T00:00:00.000Z"}');
    const counted = reader(bytes, dated);
    const first = cache.outcome('t', 0, '5', dated, bytes, counted.read);
    const second = cache.outcome('t', 0, '5', dated, bytes, counted.read);
    expect(counted.calls()).toBe(2);
    if (!second.ok || !first.ok) throw new Error('expected values');
    expect((second.value as { at: unknown }).at).toBeInstanceOf(Date);
    expect(cache.size).toBe(0);
  });

  it('copies an own __proto__ key as a key', () => {
    const cache = createInboundCache();
    const loose = z.record(z.string(), z.number());
    const bytes = Buffer.from('{"__proto__":1,"a":2}');
    const counted = reader(bytes, loose);
    const first = cache.outcome('t', 0, '5', loose, bytes, counted.read);
    const second = cache.outcome('t', 0, '5', loose, bytes, counted.read);
    expect(counted.calls()).toBe(1);
    if (!second.ok || !first.ok) throw new Error('expected values');
    expect(Object.keys(second.value as object)).toEqual(Object.keys(first.value as object));
    expect(Object.getPrototypeOf(second.value)).toBe(Object.getPrototypeOf(first.value));
  });
});

describe('inbound cache, a topic read by one group only', () => {
  const limits = { trialEntries: 4, minReuseOneIn: 8, probeEvery: 3 };

  it('stops copying its values after a trial, keeping one probe in probeEvery, and caches again once probes are reused', () => {
    const cache = createInboundCache(limits);
    const bytes = value('a');
    const readBy = (offset: number) => {
      const counted = reader(bytes);
      cache.outcome('t', 0, String(offset), schema, bytes, counted.read);
      return counted.calls();
    };
    // One group: the trial's 4, then offsets 4, 7 and 10 as probes.
    for (let offset = 0; offset < 12; offset++) readBy(offset);
    expect(cache.size).toBe(4 + 3);
    // A second group starts: it is answered the cached ones and reads the others itself.
    const readAgain = Array.from({ length: 12 }, (_, offset) => readBy(offset));
    expect(readAgain).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1]);
    // Reused again: every new record is cached for the second group.
    for (let offset = 12; offset < 20; offset++) {
      expect(readBy(offset)).toBe(1);
      expect(readBy(offset)).toBe(0);
    }
    // Another topic's trial is its own.
    const other = reader(bytes);
    cache.outcome('u', 0, '0', schema, bytes, other.read);
    cache.outcome('u', 0, '0', schema, bytes, other.read);
    expect(other.calls()).toBe(1);
  });
});

describe('inbound cache, replaced entries', () => {
  it('stays within its bound and answers the latest content when coordinates are reused', () => {
    const cache = createInboundCache({ maxEntries: 2 });
    for (let round = 0; round < 5; round++) {
      const bytes = value(String.fromCharCode(97 + round));
      cache.outcome('t', 0, '5', schema, bytes, reader(bytes).read);
    }
    const b = value('z');
    cache.outcome('t', 0, '6', schema, b, reader(b).read);
    cache.outcome('t', 0, '7', schema, b, reader(b).read);
    expect(cache.size).toBe(2);
    const latest = value('e');
    const counted = reader(latest);
    expect(cache.outcome('t', 0, '5', schema, latest, counted.read)).toMatchObject({ ok: true, value: { ref: 'e' } });
    expect(counted.calls()).toBe(1); // dropped as the oldest, not kept by a stale queue item
    expect(cache.size).toBe(2);
  });
});
