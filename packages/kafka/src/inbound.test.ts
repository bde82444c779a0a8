import type { IHeaders, KafkaMessage } from 'kafkajs';
import { defineTopic, DAYS } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nextOffset, readInbound } from './inbound.ts';

const topic = defineTopic({
  name: 'test.inbound.v1',
  description: 'test',
  schema: z.object({ ref: z.string(), nhsNumber: z.string().regex(/^\d{10}$/) }).strict(),
  partitions: 1,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function record(value: Buffer | null, headers: IHeaders = {}, key: Buffer | null = Buffer.from('k')): KafkaMessage {
  return { key, value, headers, offset: '41', timestamp: '0', attributes: 0 };
}

describe('readInbound', () => {
  it('answers the typed value with coordinates and the span that published it', () => {
    const result = readInbound(
      topic,
      3,
      record(Buffer.from('{"ref":"r","nhsNumber":"9434765919"}'), {
        traceparent: Buffer.from(TRACEPARENT),
        other: Buffer.from('x'),
      }),
    );
    expect(result).toEqual({
      ok: true,
      message: {
        key: 'k',
        value: { ref: 'r', nhsNumber: '9434765919' },
        headers: { traceparent: TRACEPARENT, other: 'x' },
        topic: 'test.inbound.v1',
        partition: 3,
        offset: '41',
      },
      parent: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true },
    });
  });

  it('sends contract failures to the DLQ with the path, never the value', () => {
    const result = readInbound(topic, 0, record(Buffer.from('{"ref":"r","nhsNumber":"Smithson"}')));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('contract-violation');
    expect(JSON.parse(result.detail)).toEqual({ issues: [{ path: '/nhsNumber', code: 'invalid_format' }] });
    expect(result.detail).not.toContain('Smithson');
    expect(result.parent).toBeUndefined();
  });

  it('calls bytes that are not UTF-8 JSON, a missing value or a binary key undecodable', () => {
    const cases: [KafkaMessage, string][] = [
      [record(Buffer.from([0xc3, 0x28])), 'not-utf8'],
      [record(Buffer.from('not json')), 'not-json'],
      [record(null), 'no-value'],
      [record(Buffer.from('{}'), {}, Buffer.from([0xff])), 'key-not-utf8'],
    ];
    for (const [raw, cause] of cases) {
      const result = readInbound(topic, 0, raw);
      expect(result).toMatchObject({ ok: false, reason: 'undecodable-message', detail: JSON.stringify({ cause }) });
    }
  });
});

describe('nextOffset', () => {
  it('adds one without losing precision beyond 2^53', () => {
    expect(nextOffset('0')).toBe('1');
    expect(nextOffset('9007199254740992')).toBe('9007199254740993');
  });
});
