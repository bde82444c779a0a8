import { setTimeout as sleep } from 'node:timers/promises';
import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { startWorkers, type Worker } from './workers.ts';

const backoff = { initialMs: 5, maxMs: 20, resetAfterMs: 60_000 };
const always = () => Promise.resolve(true);

/** Resolves when `signal` aborts. */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => {
      resolve();
    });
  });

describe('startWorkers', () => {
  it('a worker that throws is logged and run again, until it stays up; stop aborts it and waits for it', async () => {
    const { logger, lines } = captureLogs();
    let runs = 0;
    let finished = false;
    const worker: Worker = {
      name: 'flaky',
      async run(signal) {
        runs += 1;
        if (runs <= 3) throw new Error(`attempt ${String(runs)}`);
        await aborted(signal);
        await sleep(10); // stop must wait for this
        finished = true;
      },
    };
    const running = startWorkers([{ service: 'deadlines', worker }], { logger, confirm: always, backoff });
    await expect.poll(() => runs, { timeout: 2_000 }).toBe(4);
    await running.stop();
    expect(finished).toBe(true);
    const failed = lines().filter((line) => line['msg'] === 'worker failed; restarting');
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatchObject({ worker: 'deadlines.flaky', level: 'error' });
  });

  it('a worker returning while the process runs is not dead: it is logged and restarted', async () => {
    const { logger, lines } = captureLogs();
    let runs = 0;
    const worker: Worker = {
      name: 'quitter',
      run: async (signal) => {
        runs += 1;
        if (runs === 1) return;
        await aborted(signal);
      },
    };
    const running = startWorkers([{ service: 's', worker }], { logger, confirm: always, backoff });
    await expect.poll(() => runs, { timeout: 2_000 }).toBe(2);
    await running.stop();
    expect(lines().filter((line) => line['msg'] === 'worker returned while running; restarting')).toHaveLength(1);
  });

  it('the backoff doubles up to its maximum between failures', async () => {
    const { logger } = captureLogs();
    const starts: number[] = [];
    const worker: Worker = {
      name: 'broken',
      run: () => {
        starts.push(performance.now());
        return Promise.reject(new Error('down'));
      },
    };
    const running = startWorkers([{ service: 's', worker }], {
      logger,
      confirm: always,
      backoff: { initialMs: 20, maxMs: 80, resetAfterMs: 60_000 },
    });
    await expect.poll(() => starts.length, { timeout: 3_000 }).toBeGreaterThanOrEqual(6);
    await running.stop();
    const gaps = starts.slice(1, 6).map((at, index) => at - (starts[index] ?? 0));
    // 20, 40, 80, 80, 80 (timers fire no earlier than asked; allow 2 ms of clock rounding)
    expect(gaps.map((gap, index) => gap >= [20, 40, 80, 80, 80][index]! - 2)).toEqual([true, true, true, true, true]);
    expect(gaps[4]!).toBeLessThan(160 * 4); // not still doubling
  });

  it('context.ready() is the readiness of the views the worker reads', async () => {
    const { logger } = captureLogs();
    const ready: boolean[] = [];
    const asked: string[] = [];
    const worker: Worker = {
      name: 'reader',
      reads: ['inbox'],
      async run(signal, context) {
        ready.push(await context.ready());
        await aborted(signal);
      },
    };
    const running = startWorkers([{ service: 's', worker }], {
      logger,
      confirm: (view) => {
        asked.push(view);
        return Promise.resolve(false);
      },
      backoff,
    });
    await expect.poll(() => ready.length).toBe(1);
    await running.stop();
    expect(ready).toEqual([false]);
    expect(asked).toEqual(['inbox']);
  });

  it('stop during a backoff returns at once', async () => {
    const { logger } = captureLogs();
    let runs = 0;
    const worker: Worker = {
      name: 'w',
      run: () => {
        runs += 1;
        return Promise.reject(new Error('x'));
      },
    };
    const running = startWorkers([{ service: 's', worker }], {
      logger,
      confirm: always,
      backoff: { initialMs: 60_000, maxMs: 60_000, resetAfterMs: 60_000 },
    });
    await expect.poll(() => runs).toBe(1);
    const before = performance.now();
    await running.stop();
    expect(performance.now() - before).toBeLessThan(1_000);
  });
});
