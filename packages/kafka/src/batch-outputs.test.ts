import { describe, expect, it } from 'vitest';
import { inputRecords, produceRequests, recordBytes } from './batch-outputs.ts';

const record = (key: string, valueBytes: number) => ({ key, value: Buffer.alloc(valueBytes, 'x') });

describe('batch outputs', () => {
  it('counts keys, values, headers and framing', () => {
    expect(recordBytes({ key: 'ab', value: Buffer.alloc(100) })).toBe(40 + 2 + 100);
    expect(
      recordBytes({ key: null, value: 'héllo', headers: { 'trace-id': 'abc', multi: ['x', Buffer.from('yz')] } }),
    ).toBe(40 + 6 + (10 + 8 + 3) + (10 + 5 + 1) + (10 + 5 + 2));
    const input = inputRecords('7', [{ topic: 'a', messages: [record('k', 10), record('k', 20)] }], 'handler-failed');
    expect(input).toEqual({ offset: '7', records: input.records, bytes: 2 * 41 + 30, deadLettered: 'handler-failed' });
  });

  it('packs inputs into requests of at most the limit, in order and grouped by topic; a larger record goes alone', () => {
    const inputs = [
      inputRecords('0', [
        { topic: 'out', messages: [record('0', 400)] },
        { topic: 'audit', messages: [record('0', 100)] },
      ]),
      inputRecords('1', [{ topic: 'out', messages: [record('1', 400)] }]),
      inputRecords('2', [{ topic: 'out', messages: [record('2', 2_000)] }]),
      inputRecords('3', [{ topic: 'audit', messages: [record('3', 100)] }]),
    ];
    const requests = produceRequests(inputs, 1_000);
    const keys = requests.map((request) =>
      request.map(({ topic, messages }) => `${topic}:${messages.map((m) => String(m.key)).join(',')}`),
    );
    expect(keys).toEqual([['out:0', 'audit:0'], ['out:1'], ['out:2'], ['audit:3']]);
    expect(produceRequests(inputs, 10_000).map((request) => request.map(({ topic }) => topic))).toEqual([
      ['out', 'audit'],
    ]);
    expect(produceRequests([], 1_000)).toEqual([]);
  });
});
