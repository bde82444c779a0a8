import { ERROR_CATALOGUE, ERROR_CODES } from '@hub/errors';
import { describe, expect, it } from 'vitest';
import {
  contractViolationDetail,
  deadLetterHeaders,
  deadLetterMessage,
  describeError,
  DLQ_REASONS,
  handlerFailedDetail,
  undecodableDetail,
  type DeadLetter,
} from './dead-letter.ts';
import { LIMITS } from './limits.ts';

const value = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
const key = Buffer.from('inc-42');
const letter: DeadLetter = {
  reason: 'contract-violation',
  detail: '{"issues":[{"path":"/ref","code":"too_small"}]}',
  record: {
    topic: 'tabc.hub.thing.v1',
    partition: 2,
    offset: '9007199254740993',
    key,
    value,
    headers: {
      'trace-id': Buffer.from('t-1'),
      'dlq-reason': Buffer.from('handler-failed'),
      custom: Buffer.from([0xfe]),
    },
  },
  consumerGroup: 'tabc.router',
  failedAt: new Date('2026-01-02T03:04:05.678Z'),
};

describe('dead-letter record', () => {
  it('keeps key and value bytes untouched and the original headers, then adds ours', () => {
    const message = deadLetterMessage(letter);
    expect(message.key).toBe(key);
    expect(message.value).toBe(value);
    expect(message.headers).toEqual({
      'trace-id': Buffer.from('t-1'),
      custom: Buffer.from([0xfe]),
      'dlq-reason': 'contract-violation',
      'dlq-detail': '{"issues":[{"path":"/ref","code":"too_small"}]}',
      'dlq-original-topic': 'tabc.hub.thing.v1',
      'dlq-original-partition': '2',
      'dlq-original-offset': '9007199254740993',
      'dlq-failed-at': '2026-01-02T03:04:05.678Z',
      'dlq-consumer-group': 'tabc.router',
    });
  });

  it('has exactly the documented header set', () => {
    expect(Object.keys(deadLetterHeaders(letter)).sort()).toEqual([
      'dlq-consumer-group',
      'dlq-detail',
      'dlq-failed-at',
      'dlq-original-offset',
      'dlq-original-partition',
      'dlq-original-topic',
      'dlq-reason',
    ]);
  });
});

describe('reasons', () => {
  it('are exactly the message-processing codes of the @hub/errors catalogue', () => {
    const messageCodes = ERROR_CODES.filter((code) => ERROR_CATALOGUE[code].status === 0);
    expect([...DLQ_REASONS].sort()).toEqual([...messageCodes].sort());
  });
});

describe('details', () => {
  it('fits any number of issues into the header limit, counting what it left out', () => {
    const issues = Array.from({ length: 50 }, (_, i) => ({
      path: `/field${i}/${'deep/'.repeat(20)}x`,
      code: 'invalid_type',
    }));
    const detail = contractViolationDetail(issues);
    expect(detail.length).toBeLessThanOrEqual(LIMITS.maxDetailLength);
    const parsed = JSON.parse(detail) as { issues: unknown[]; omitted: number };
    expect(parsed.issues.length + parsed.omitted).toBe(50);
    expect(parsed.issues.length).toBeGreaterThan(0);
  });

  it('describes an error by name and code only, never its message', () => {
    const error = Object.assign(new Error('no GP practice for Alexandra Smithson, 9434765919'), {
      code: 'ENOPRACTICE',
    });
    expect(describeError(error)).toEqual({ name: 'Error', code: 'ENOPRACTICE' });
    expect(describeError(new TypeError('x'))).toEqual({ name: 'TypeError' });
    expect(describeError('Smithson')).toEqual({ name: 'NonError' });
    const detail = handlerFailedDetail(error, 3);
    expect(JSON.parse(detail)).toEqual({ error: { name: 'Error', code: 'ENOPRACTICE' }, attempts: 3 });
    expect(detail).not.toContain('Smithson');
  });

  it('drops names and codes that are not token-like (they could be free text)', () => {
    const error = Object.assign(new Error('m'), { name: 'Patient Smithson', code: 'the NHS number 9434765919' });
    expect(describeError(error)).toEqual({ name: 'Error' });
  });

  it('says why a message was undecodable', () => {
    expect(JSON.parse(undecodableDetail('not-utf8'))).toEqual({ cause: 'not-utf8' });
  });
});
