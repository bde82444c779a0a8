import { describe, expect, it } from 'vitest';
import { decodeInboxCursor, encodeInboxCursor, inboxCursorParameter } from './cursor.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('inbox cursor', () => {
  it('round-trips every sequence, from 0 to the largest safe integer', () => {
    for (const sequence of [0, 1, 42, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      const cursor = encodeInboxCursor(sequence);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeInboxCursor(cursor)).toBe(sequence);
    }
  });

  it('refuses anything this service did not make', () => {
    const refused = [
      '',
      '7',
      'not a cursor',
      `${encodeInboxCursor(7)}=`, // padding
      b64('{"s": 7}'), // not the canonical encoding
      b64('{"s":-1}'),
      b64('{"s":1.5}'),
      b64('{"s":"7"}'),
      b64('{"s":7,"x":1}'),
      b64('{"s":9007199254740992}'), // beyond safe integers
      b64('[7]'),
      b64('null'),
      'A'.repeat(65),
    ];
    for (const value of refused) expect(decodeInboxCursor(value), value).toBeUndefined();
  });

  it('as a query parameter: parses to the sequence or fails with a rule, never the value', () => {
    expect(inboxCursorParameter.parse(encodeInboxCursor(12))).toBe(12);
    const failed = inboxCursorParameter.safeParse('bogus!');
    expect(failed.success).toBe(false);
    expect(failed.error?.issues.map((issue) => issue.message)).toEqual(['must be the nextCursor of a previous page']);
  });
});
