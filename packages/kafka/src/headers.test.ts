import { describe, expect, it } from 'vitest';
import { buildPublishHeaders, copyRawHeaders, parentFrom, readHeaders } from './headers.ts';
import { LIMITS } from './limits.ts';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('buildPublishHeaders', () => {
  it('adds traceparent, content-type and schema after the caller headers', () => {
    expect(buildPublishHeaders('hub.thing.v1', TRACEPARENT, { 'x-source': 'police' })).toEqual({
      'x-source': 'police',
      traceparent: TRACEPARENT,
      'content-type': 'application/json',
      schema: 'hub.thing.v1',
    });
  });

  it('refuses caller headers that collide with ours or the dead-letter ones', () => {
    for (const name of ['traceparent', 'content-type', 'schema', 'dlq-reason']) {
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

describe('parentFrom', () => {
  it('reads the publishing span from a well-formed traceparent', () => {
    expect(parentFrom({ traceparent: TRACEPARENT })).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      sampled: true,
    });
  });

  it('has none when traceparent is missing or malformed (the record starts a trace), the old trace-id included', () => {
    for (const headers of [
      {},
      { traceparent: 'line\nbreak' },
      { traceparent: 'x'.repeat(65) },
      { 'trace-id': '0af7651916cd43dd8448eb211c80319c' },
    ]) {
      expect(parentFrom(headers)).toBeUndefined();
    }
  });
});
