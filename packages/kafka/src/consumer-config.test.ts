import { describe, expect, it } from 'vitest';
import { consumerConfig, fetchConfig } from './consumer-config.ts';
import { DEFAULTS } from './limits.ts';

/** A pair with a byte threshold, as the defaults may be (the candidates of issue 10). */
const THRESHOLD = { minBytes: 32 * 1024, maxWaitTimeMs: 20 };

describe('fetch tuning', () => {
  it('uses the default pair when the caller sets neither', () => {
    expect(fetchConfig({}, THRESHOLD)).toEqual({ minBytes: 32 * 1024, maxWaitTimeInMs: 20 });
    expect(consumerConfig('g', {})).toMatchObject({
      minBytes: DEFAULTS.fetch.minBytes,
      maxWaitTimeInMs: DEFAULTS.fetch.maxWaitTimeMs,
    });
  });

  it("answers at the first record when a caller sets its own wait without a threshold (a test's 100 ms must not delay every record)", () => {
    expect(fetchConfig({ maxWaitTimeMs: 100 }, THRESHOLD)).toEqual({ minBytes: 1, maxWaitTimeInMs: 100 });
    expect(fetchConfig({ maxWaitTimeMs: 100, minBytes: 4096 }, THRESHOLD)).toEqual({
      minBytes: 4096,
      maxWaitTimeInMs: 100,
    });
    expect(fetchConfig({ minBytes: 1 }, THRESHOLD)).toEqual({ minBytes: 1, maxWaitTimeInMs: 20 });
    expect(consumerConfig('g', { minBytes: 2048, maxWaitTimeMs: 15 })).toMatchObject({
      minBytes: 2048,
      maxWaitTimeInMs: 15,
    });
  });

  it('refuses a threshold or wait that is not a whole number', () => {
    expect(() => fetchConfig({ minBytes: 0 }, THRESHOLD)).toThrow(RangeError);
    expect(() => fetchConfig({ minBytes: 1.5 }, THRESHOLD)).toThrow(RangeError);
    expect(() => fetchConfig({ maxWaitTimeMs: -1 }, THRESHOLD)).toThrow(RangeError);
  });
});
