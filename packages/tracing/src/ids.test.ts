import { describe, expect, it } from 'vitest';
import { formatTraceparent, newSpanId, parseTraceparent } from './ids.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('reads a version-00 header: trace, parent and the sampled flag', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: true,
    });
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      sampled: false,
    });
    // Other flag bits are not "sampled".
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-02`)?.sampled).toBe(false);
    // A later version may append fields.
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-future`)?.traceId).toBe(TRACE_ID);
  });

  it('refuses what W3C trace-context calls invalid, and anything that is not one string', () => {
    for (const bad of [
      undefined,
      ['x'],
      '',
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01${'-x'.repeat(300)}`,
      '00-9991001018-L85901-01',
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  it('writes version 00 and reads back what it wrote', () => {
    const span = { traceId: TRACE_ID, spanId: newSpanId(), sampled: true };
    expect(formatTraceparent(span)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(parseTraceparent(formatTraceparent(span))).toEqual(span);
    expect(formatTraceparent({ ...span, sampled: false }).endsWith('-00')).toBe(true);
  });

  it('makes span ids of 16 hex characters, different each time', () => {
    // More than one block of the random pool (512 ids), so its refill is crossed.
    const ids = new Set(Array.from({ length: 2_000 }, () => newSpanId()));
    expect(ids.size).toBe(2_000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});
