import { describe, expect, it } from 'vitest';
import { backoffDelay, checkRetryPolicy, sleep, sleepWithHeartbeat, withTimeout } from './retry.ts';

const policy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles from the initial delay, with jitter between half and all of it', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400]);
  });

  it('is capped at maxDelayMs, however many attempts', () => {
    expect(backoffDelay(5, policy, () => 1)).toBe(1_000);
    expect(backoffDelay(500, policy, () => 1)).toBe(1_000);
  });
});

describe('checkRetryPolicy', () => {
  it('accepts a sane policy and rejects nonsense', () => {
    expect(checkRetryPolicy(policy)).toBe(policy);
    expect(() => checkRetryPolicy({ ...policy, attempts: 0 })).toThrow(RangeError);
    expect(() => checkRetryPolicy({ ...policy, attempts: 1.5 })).toThrow(RangeError);
    expect(() => checkRetryPolicy({ ...policy, maxDelayMs: 50 })).toThrow(RangeError);
    expect(() => checkRetryPolicy({ ...policy, initialDelayMs: -1 })).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it('answers false at once when aborted, true when it ran its course', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(10_000, controller.signal);
    controller.abort();
    expect(await pending).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
    expect(await sleep(1)).toBe(true);
  });

  it('heartbeats between slices of a long wait', async () => {
    let beats = 0;
    const completed = await sleepWithHeartbeat(40, 10, () => {
      beats++;
      return Promise.resolve();
    });
    expect(completed).toBe(true);
    expect(beats).toBeGreaterThanOrEqual(3);
  });
});

describe('withTimeout', () => {
  it('rejects when the promise is too slow', async () => {
    await expect(withTimeout(new Promise(() => undefined), 5, 'probe')).rejects.toThrow('probe timed out after 5 ms');
    await expect(withTimeout(Promise.resolve(7), 50, 'probe')).resolves.toBe(7);
  });
});
