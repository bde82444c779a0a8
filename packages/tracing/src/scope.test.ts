import { describe, expect, it } from 'vitest';
import { withContext } from '@hub/logger';
import { captureLogs } from '@hub/testkit';
import { parseTraceparent } from './ids.ts';
import { currentSpan, currentTraceparent, inSpan } from './scope.ts';
import { NO_TRACING } from './tracer.ts';

const PARENT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true };
const RECORD = { topic: 'notifications.issued.v1', group: 'inbox-store', partition: 2, offset: '17' };

describe('the current span', () => {
  it("is what a record published inside it names as parent, and every log line carries the span's ids", async () => {
    const logs = captureLogs();
    const span = NO_TRACING.processSpan(RECORD, PARENT);
    const published = await inSpan(span, async () => {
      await Promise.resolve();
      logs.logger.info('inside');
      return currentTraceparent();
    });
    expect(parseTraceparent(published)).toEqual({ traceId: PARENT.traceId, spanId: span.spanId, sampled: true });
    expect(span.spanId).not.toBe(PARENT.spanId);
    expect(logs.lines()[0]).toMatchObject({ traceId: PARENT.traceId, spanId: span.spanId, msg: 'inside' });
    expect(currentSpan()).toBeUndefined();
  });

  it('outside any span: a W3C trace id of the log context is kept, anything else starts a trace, not sampled', () => {
    const kept = withContext({ traceId: PARENT.traceId }, () => parseTraceparent(currentTraceparent()));
    expect(kept).toMatchObject({ traceId: PARENT.traceId, sampled: false });
    const fresh = withContext({ traceId: 'not-a-w3c-id' }, () => parseTraceparent(currentTraceparent()));
    expect(fresh?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parseTraceparent(currentTraceparent())).toBeDefined();
  });

  it('starts a trace when a record or request carries no parent', () => {
    const a = NO_TRACING.serverSpan('POST', undefined);
    const b = NO_TRACING.serverSpan('POST', undefined);
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.sampled).toBe(false);
  });
});
