import { defineTopic, DAYS } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { ContractViolationError, prepareBatch } from './outbound.ts';

const flagged = defineTopic({
  name: 'test.flagged.v1',
  description: 'test',
  schema: z.object({ ref: z.string().min(1), nhsNumber: z.string().regex(/^\d{10}$/) }),
  partitions: 1,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('prepareBatch', () => {
  it('encodes each value as JSON with our headers', () => {
    const [message] = prepareBatch(flagged, [{ key: 'k1', value: { ref: 'r', nhsNumber: '9434765919' } }], TRACEPARENT);
    expect(message?.key).toBe('k1');
    expect(JSON.parse((message?.value as Buffer).toString('utf8'))).toEqual({ ref: 'r', nhsNumber: '9434765919' });
    expect(message?.headers).toEqual({
      traceparent: TRACEPARENT,
      'content-type': 'application/json',
      schema: 'test.flagged.v1',
    });
  });

  it('forwards only what the contract knows (zod output), so stray fields are not leaked onwards', () => {
    const value = { ref: 'r', nhsNumber: '9434765919', freeText: 'Alexandra told us' };
    const [message] = prepareBatch(flagged, [{ key: 'k', value }], 't');
    expect((message?.value as Buffer).toString('utf8')).not.toContain('Alexandra');
  });

  it('throws on the first invalid value, naming the field but not the value', () => {
    const bad = { ref: 'r', nhsNumber: 'Smithson' };
    let thrown: unknown;
    try {
      prepareBatch(
        flagged,
        [
          { key: 'a', value: { ref: 'ok', nhsNumber: '9434765919' } },
          { key: 'b', value: bad },
        ],
        't',
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractViolationError);
    const error = thrown as ContractViolationError;
    expect(error.index).toBe(1);
    expect(error).toBeInstanceOf(HubError);
    expect(error.code).toBe('contract-violation');
    expect(error.errors).toEqual([{ pointer: '/nhsNumber', detail: 'invalid_format' }]);
    expect(error.issues).toEqual([{ path: '/nhsNumber', code: 'invalid_format' }]);
    expect(error.message).toContain('/nhsNumber');
    expect(error.message).not.toContain('Smithson');
  });

  it('enforces key, size and batch limits', () => {
    const value = { ref: 'r', nhsNumber: '9434765919' };
    expect(() => prepareBatch(flagged, [{ key: '', value }], 't')).toThrow(RangeError);
    expect(() => prepareBatch(flagged, [{ key: 'k'.repeat(LIMITS.maxKeyBytes + 1), value }], 't')).toThrow(RangeError);
    const huge = { ref: 'x'.repeat(LIMITS.maxValueBytes), nhsNumber: '9434765919' };
    expect(() => prepareBatch(flagged, [{ key: 'k', value: huge }], 't')).toThrow(/limit/);
    const many = Array.from({ length: LIMITS.maxMessagesPerBatch + 1 }, () => ({ key: 'k', value }));
    expect(() => prepareBatch(flagged, many, 't')).toThrow(RangeError);
  });
});
