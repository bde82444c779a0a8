import { EventEmitter } from 'node:events';
import { captureLogs } from '@hub/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { restartAfterCrash } from './crash-restart.ts';

const events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' } as const;

/** The part of a kafkajs consumer that restartAfterCrash uses: its events, and connect. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const consumer = {
    events,
    connect: vi.fn(() => Promise.resolve()),
    on: (event: string, listener: (event: { payload: unknown }) => void) => {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
  };
  const crash = (restart: boolean) =>
    emitter.emit(events.CRASH, { payload: { error: new Error('Transaction state exception'), restart } });
  return { consumer, crash };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('restartAfterCrash', () => {
  it('connects and runs a consumer again after a crash kafkajs does not restart from, once', async () => {
    vi.useFakeTimers();
    const { consumer, crash } = fakeConsumer();
    const run = vi.fn(() => Promise.resolve());
    const logs = captureLogs('kafka');
    restartAfterCrash(consumer as never, run, logs.logger, new AbortController().signal);

    crash(false);
    crash(false); // a second crash while the restart waits starts no second restart
    await vi.advanceTimersByTimeAsync(1_000);
    expect(consumer.connect).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(logs.lines().map((line) => line['msg'])).toContain(
      'consumer restarted after a crash kafkajs does not restart from',
    );
  });

  it('leaves a crash kafkajs restarts itself to kafkajs', async () => {
    vi.useFakeTimers();
    const { consumer, crash } = fakeConsumer();
    const run = vi.fn(() => Promise.resolve());
    restartAfterCrash(consumer as never, run, captureLogs('kafka').logger, new AbortController().signal);

    crash(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(run).not.toHaveBeenCalled();
  });

  it('keeps trying with backoff while a restart fails, and stops trying once the subscription stops', async () => {
    vi.useFakeTimers();
    const { consumer, crash } = fakeConsumer();
    const run = vi.fn(() => Promise.reject(new Error('no broker')));
    const stopping = new AbortController();
    restartAfterCrash(consumer as never, run, captureLogs('kafka').logger, stopping.signal);

    crash(false);
    await vi.advanceTimersByTimeAsync(10_000);
    const tries = run.mock.calls.length;
    expect(tries).toBeGreaterThanOrEqual(3);
    expect(tries).toBeLessThan(20); // backoff, not a loop
    stopping.abort();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(run).toHaveBeenCalledTimes(tries);
  });

  it('never restarts a consumer whose subscription stopped', async () => {
    vi.useFakeTimers();
    const { consumer, crash } = fakeConsumer();
    const run = vi.fn(() => Promise.resolve());
    const stopping = new AbortController();
    restartAfterCrash(consumer as never, run, captureLogs('kafka').logger, stopping.signal);

    crash(false);
    stopping.abort();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(consumer.connect).not.toHaveBeenCalled();
    expect(run).not.toHaveBeenCalled();
  });
});
