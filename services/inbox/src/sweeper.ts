import type { Logger } from '@hub/logger';
import type { Worker } from '@hub/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboxStore } from './store.ts';

/** How often each instance sweeps: an hour of expired items at most outlives its retention in an unread inbox. */
export const INBOX_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Removes what has passed its retention from inboxes nobody reads (those read lose it at each page). Every instance
 * sweeps; the removals are idempotent, so two at once do no harm. It waits while the inbox view is not ready. A sweep
 * under way when the worker is stopped ends at its next round trip to Redis (it walks the whole keyspace).
 */
export function inboxSweeper(store: InboxStore, logger: Logger, intervalMs = INBOX_SWEEP_INTERVAL_MS): Worker {
  return {
    name: 'sweep',
    reads: ['inbox'],
    async run(signal, context) {
      while (!signal.aborted) {
        if (await context.ready()) {
          const removed = await store.sweep(signal);
          if (removed > 0) logger.info({ removed }, 'inbox sweep: notifications past their retention removed');
        }
        await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      }
    },
  };
}
