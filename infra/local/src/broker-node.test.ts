import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newClusterId } from './broker-node.ts';

describe('newClusterId', () => {
  it('never starts with "-" (the storage tool would read it as an option), over many ids', () => {
    // 20,000 draws: random base64url starts with '-' once in 64, so an unguarded generator fails here with
    // probability 1 - (63/64)^20000 (about 1 - 1e-136).
    const ids = Array.from({ length: 20_000 }, () => newClusterId());
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws again when the bytes would encode to an id starting with "-"', () => {
    // A first byte of 0xf8..0xfb encodes to '-' (index 62) in base64url.
    const dashFirst = Buffer.alloc(16, 0xf8);
    const next = Buffer.alloc(16, 0x01);
    const draws = [dashFirst, next];
    const id = newClusterId(() => draws.shift() ?? randomBytes(16));
    expect(dashFirst.toString('base64url')).toMatch(/^-/);
    expect(id).toBe(next.toString('base64url'));
    expect(draws).toHaveLength(0);
  });
});
