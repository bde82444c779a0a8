import { describe, expect, it } from 'vitest';
import { auditCursor, decodeAuditCursor, encodeAuditCursor } from './cursor.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('audit cursor', () => {
  it('round-trips a position and its order', () => {
    for (const order of ['oldest', 'newest'] as const) {
      const position = { time: Date.UTC(2026, 10, 22, 10, 0), partition: 3, offset: 123_456, order };
      const cursor = encodeAuditCursor(position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeAuditCursor(cursor)).toEqual(position);
    }
  });

  it('refuses anything this service did not make', () => {
    for (const value of [
      '',
      'garbage!',
      `${encodeAuditCursor({ time: 1, partition: 0, offset: 0, order: 'oldest' })}=`,
      b64('{"t": 1,"p":0,"o":0,"d":"o"}'), // not canonical
      b64('{"p":0,"t":1,"o":0,"d":"o"}'), // keys in another order: not canonical
      b64('{"t":-1,"p":0,"o":0,"d":"o"}'),
      b64('{"t":1.5,"p":0,"o":0,"d":"o"}'),
      b64('{"t":8640000000000001,"p":0,"o":0,"d":"o"}'),
      b64('{"t":1,"p":-1,"o":0,"d":"o"}'),
      b64('{"t":1,"p":0,"o":-5,"d":"o"}'),
      b64('{"t":1,"p":0,"o":0,"d":"x"}'),
      b64('{"t":1,"p":0,"o":0,"d":"o","x":0}'),
      b64('{"t":1,"id":"aud_1"}'), // the Redis store's cursor
      'A'.repeat(129),
    ]) {
      expect(decodeAuditCursor(value), value).toBeUndefined();
    }
  });

  it('as a query parameter: parses to the position or fails naming /query/cursor, never the value', () => {
    const position = { time: 5, partition: 1, offset: 9, order: 'newest' } as const;
    expect(auditCursor.fromQuery(encodeAuditCursor(position))).toEqual(position);
    expect(() => auditCursor.fromQuery('bogus')).toThrow(
      expect.objectContaining({
        code: 'validation-failed',
        errors: [{ pointer: '/query/cursor', detail: 'must be the nextCursor of a previous page' }],
      }),
    );
  });
});
