import { describe, expect, it } from 'vitest';
import { classifyKafkaError, isKafkaFailure } from './kafka-errors.ts';

// Shapes as kafkajs builds them (name, type, retriable, cause); plain objects, no kafkajs involved.
const protocol = (type: string, retriable: boolean) => ({ name: 'KafkaJSProtocolError', type, retriable });

describe('classifyKafkaError', () => {
  it('retries CONCURRENT_TRANSACTIONS from sendOffsets (kafkajs issue 430)', () => {
    expect(classifyKafkaError(protocol('CONCURRENT_TRANSACTIONS', false))).toBe('transient');
  });

  it('retries a partition its leader does not serve yet (just created, or loading after a restart)', () => {
    expect(classifyKafkaError(protocol('UNKNOWN_TOPIC_OR_PARTITION', true))).toBe('transient');
  });

  it('looks through "number of retries exceeded" to the cause', () => {
    const wrapped = {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: { name: 'KafkaJSConnectionError', retriable: true },
    };
    expect(classifyKafkaError(wrapped)).toBe('transient');
  });

  it('stops on fencing, wherever it is in the chain', () => {
    const wrapped = {
      name: 'KafkaJSNonRetriableError',
      retriable: false,
      cause: protocol('INVALID_PRODUCER_EPOCH', false),
    };
    expect(classifyKafkaError(wrapped)).toBe('fenced');
  });

  it('treats deterministic failures as permanent', () => {
    expect(classifyKafkaError(protocol('MESSAGE_TOO_LARGE', false))).toBe('permanent');
    expect(classifyKafkaError(new TypeError('bug'))).toBe('permanent');
    expect(classifyKafkaError('string')).toBe('permanent');
  });

  it('survives a cyclic cause chain', () => {
    const a: { name: string; retriable: boolean; cause?: unknown } = { name: 'KafkaJSError', retriable: true };
    a.cause = a;
    expect(classifyKafkaError(a)).toBe('transient');
  });
});

describe('isKafkaFailure', () => {
  it('is true for a kafkajs error anywhere in the chain, false for errors of the work', () => {
    const connection = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
    });
    const retries = Object.assign(new Error('Number of retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: connection,
    });
    expect(isKafkaFailure(connection)).toBe(true);
    expect(isKafkaFailure(new Error('wrapped', { cause: retries }))).toBe(true);
    expect(isKafkaFailure(new TypeError('bug'))).toBe(false);
    expect(isKafkaFailure(Object.assign(new Error('bad'), { name: 'ContractViolationError' }))).toBe(false);
  });
});
