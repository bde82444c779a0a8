import { describe, expect, it } from 'vitest';
import { cursorAfter, decodeInboxCursor, encodeInboxCursor, inboxCursor } from './cursor.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('inbox cursor', () => {
  it('round-trips every position, from 0 to the largest Kafka offset', () => {
    for (const position of ['0', '1', '42', '1000000', '9007199254740993', '9223372036854775807']) {
      const cursor = encodeInboxCursor(position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeInboxCursor(cursor)).toBe(position);
    }
  });

  it('after a position is the next one, exactly, beyond the safe integers too', () => {
    expect(decodeInboxCursor(cursorAfter('0'))).toBe('1');
    expect(decodeInboxCursor(cursorAfter('9007199254740992'))).toBe('9007199254740993');
    expect(decodeInboxCursor(cursorAfter('9223372036854775806'))).toBe('9223372036854775807');
  });

  it('refuses anything this service did not make, including the sequence cursors of before', () => {
    const refused = [
      '',
      '7',
      'not a cursor',
      `${encodeInboxCursor('7')}=`, // padding
      b64('{"from": "7"}'), // not the canonical encoding
      b64('{"s":7}'), // a per-inbox sequence, from before positions came from the record
      b64('{"from":7}'),
      b64('{"from":"-1"}'),
      b64('{"from":"07"}'),
      b64('{"from":"1.5"}'),
      b64('{"from":"10000000000000000000"}'), // 20 digits: beyond any Kafka offset
      b64('{"from":"7","x":1}'),
      b64('["7"]'),
      b64('null'),
      'A'.repeat(65),
    ];
    for (const value of refused) expect(decodeInboxCursor(value), value).toBeUndefined();
  });

  it('as a query parameter: parses to the position or fails naming /query/cursor, never the value', () => {
    expect(inboxCursor.fromQuery(encodeInboxCursor('12'))).toBe('12');
    expect(() => inboxCursor.fromQuery('bogus!')).toThrow(
      expect.objectContaining({
        code: 'validation-failed',
        errors: [{ pointer: '/query/cursor', detail: 'must be the nextCursor of a previous page' }],
      }),
    );
  });
});
