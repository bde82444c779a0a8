import { createLogger } from '@hub/logger';
import { describe, expect, it } from 'vitest';
import { NotYetError, runInBatch, runWithRetries, type HandlerRetryContext } from './handler-retry.ts';

const context = (overrides: Partial<HandlerRetryContext> = {}): HandlerRetryContext => ({
  log: createLogger({ service: 'test', level: 'silent' }),
  policy: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
  partition: 0,
  offset: '7',
  heartbeat: () => Promise.resolve(),
  heartbeatIntervalMs: 1,
  signal: new AbortController().signal,
  ...overrides,
});

/** A handler that fails its first `failures` calls, then answers its call count. */
function flaky(failures: number, error: () => Error = () => new Error('transient')) {
  let calls = 0;
  return {
    work: () => (++calls <= failures ? Promise.reject(error()) : Promise.resolve(calls)),
    calls: () => calls,
  };
}

describe('runInBatch', () => {
  it('behind uncommitted batch-mates, tries once and answers a failure at once, without waiting', async () => {
    const handler = flaky(1);
    const outcome = await runInBatch(handler.work, context(), true);
    expect(outcome).toEqual({ failedFirst: { error: expect.any(Error) as unknown } });
    expect(handler.calls()).toBe(1);
    expect(await runInBatch(flaky(0).work, context(), true)).toEqual({ ok: true, value: 1 });
  });

  it('NotYetError on the first try is answered at once too (the caller commits, then waits)', async () => {
    const outcome = await runInBatch(flaky(1, () => new NotYetError('rebuilding')).work, context(), true);
    expect(outcome).toMatchObject({ failedFirst: { error: { name: 'NotYetError' } } });
  });

  it('first in its round, retries with the policy as runWithRetries does', async () => {
    const handler = flaky(2);
    expect(await runInBatch(handler.work, context(), false)).toEqual({ ok: true, value: 3 });
    expect(handler.calls()).toBe(3);
  });
});

describe('runWithRetries with a first failure', () => {
  it("counts the caller's failed try as the first attempt: the policy's attempts in all", async () => {
    const handler = flaky(10);
    const outcome = await runWithRetries(handler.work, context({ firstFailure: { error: new Error('first') } }));
    expect(outcome).toMatchObject({ ok: false });
    expect(handler.calls()).toBe(2); // 3 attempts, the first made by the caller
  });

  it('then succeeds on a later attempt', async () => {
    const handler = flaky(0);
    const outcome = await runWithRetries(handler.work, context({ firstFailure: { error: new Error('first') } }));
    expect(outcome).toEqual({ ok: true, value: 1 });
  });
});
