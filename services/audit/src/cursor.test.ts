import { describe, expect, it } from 'vitest';
import { auditCursor, decodeAuditCursor, encodeAuditCursor } from './cursor.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const id = `aud_${'a'.repeat(32)}`;

describe('audit cursor', () => {
  it('round-trips a position', () => {
    const position = { time: Date.UTC(2026, 10, 22, 10, 0), eventId: id };
    const cursor = encodeAuditCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeAuditCursor(cursor)).toEqual(position);
  });

  it('refuses anything this service did not make', () => {
    for (const value of [
      '',
      'garbage!',
      `${encodeAuditCursor({ time: 1, eventId: id })}=`,
      b64(`{"t": 1,"id":"${id}"}`), // not canonical
      b64(`{"id":"${id}","t":1}`), // keys in another order: not canonical
      b64(`{"t":-1,"id":"${id}"}`),
      b64(`{"t":1.5,"id":"${id}"}`),
      b64(`{"t":8640000000000001,"id":"${id}"}`),
      b64('{"t":1,"id":"aud_xyz"}'),
      b64(`{"t":1,"id":"${id}","x":0}`),
      b64('{"t":1}'),
      'A'.repeat(129),
    ]) {
      expect(decodeAuditCursor(value), value).toBeUndefined();
    }
  });

  it('as a query parameter: parses to the position or fails naming /query/cursor, never the value', () => {
    const position = { time: 5, eventId: id };
    expect(auditCursor.fromQuery(encodeAuditCursor(position))).toEqual(position);
    expect(() => auditCursor.fromQuery('bogus')).toThrow(
      expect.objectContaining({
        code: 'validation-failed',
        errors: [{ pointer: '/query/cursor', detail: 'must be the nextCursor of a previous page' }],
      }),
    );
  });
});
