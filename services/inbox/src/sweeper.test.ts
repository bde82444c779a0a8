import { startWorkers } from '@hub/runtime';
import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import type { InboxStore } from './store.ts';
import { inboxSweeper } from './sweeper.ts';

describe('inboxSweeper', () => {
  it('a sweep under way when the worker stops is handed the abort and ends with it (stop does not wait it out)', async () => {
    const { logger } = captureLogs();
    let sweeping: AbortSignal | undefined;
    // A sweep that walks a big keyspace: it ends only when told to stop.
    const store = {
      sweep: (signal?: AbortSignal) =>
        new Promise<number>((_resolve, reject) => {
          sweeping = signal;
          signal?.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
        }),
    } as unknown as InboxStore;
    const workers = startWorkers([{ service: 'inbox', worker: inboxSweeper(store, logger) }], {
      logger,
      confirm: () => Promise.resolve(true),
    });
    await expect.poll(() => sweeping).toBeInstanceOf(AbortSignal);
    const started = Date.now();
    await workers.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(workers.running()).toEqual([]);
  });
});
