import { describe, expect, it } from 'vitest';
import { buildPublishHeaders, copyRawHeaders, readHeaders, traceIdFrom } from './headers.ts';
import { LIMITS } from './limits.ts';

describe('buildPublishHeaders', () => {
  it('adds trace-id, content-type and schema after the caller headers', () => {
    expect(buildPublishHeaders('hub.thing.v1', 'trace-1', { 'x-source': 'police' })).toEqual({
      'x-source': 'police',
      'trace-id': 'trace-1',
      'content-type': 'application/json',
      schema: 'hub.thing.v1',
    });
  });

  it('refuses caller headers that collide with ours or the dead-letter ones', () => {
    for (const name of ['trace-id', 'content-type', 'schema', 'dlq-reason']) {
      expect(() => buildPublishHeaders('t.v1', 'x', { [name]: 'v' })).toThrow(/set by @hub\/kafka/);
    }
  });

  it('enforces the header limits', () => {
    const many = Object.fromEntries(Array.from({ length: LIMITS.maxHeaders + 1 }, (_, i) => [`h${i}`, 'v']));
    expect(() => buildPublishHeaders('t.v1', 'x', many)).toThrow(RangeError);
    expect(() => buildPublishHeaders('t.v1', 'x', { Upper: 'v' })).toThrow(RangeError);
    expect(() => buildPublishHeaders('t.v1', 'x', { big: 'x'.repeat(LIMITS.maxHeaderValueBytes + 1) })).toThrow(
      RangeError,
    );
  });
});

describe('readHeaders', () => {
  it('decodes Buffers, keeps the first of repeated values and drops non-UTF-8 ones', () => {
    expect(
      readHeaders({
        'trace-id': Buffer.from('abc'),
        repeated: [Buffer.from('first'), Buffer.from('second')],
        text: 'plain',
        binary: Buffer.from([0xff, 0xfe]),
        missing: undefined,
      }),
    ).toEqual({ 'trace-id': 'abc', repeated: 'first', text: 'plain' });
    expect(readHeaders(undefined)).toEqual({});
  });

  it('copies raw headers byte for byte', () => {
    const binary = Buffer.from([0xff, 0x00]);
    expect(copyRawHeaders({ a: binary, b: undefined })).toEqual({ a: binary });
  });
});

describe('traceIdFrom', () => {
  it('keeps a well-formed trace id', () => {
    expect(traceIdFrom({ 'trace-id': '0af7651916cd43dd8448eb211c80319c' })).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('replaces a missing or malformed one with a new 32-hex id, never echoing the input', () => {
    for (const headers of [{}, { 'trace-id': 'line\nbreak' }, { 'trace-id': 'x'.repeat(65) }]) {
      const id = traceIdFrom(headers);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
