/**
 * The frame of a benchmark against the real hub as a child process (test/e2e/hub-process.ts), or as several of one
 * deployment (hub-instances.ts): start it, pull its inboxes in the background as GP and LA systems would, run the
 * measurements, and always stop both; on failure the hub's last output is printed.
 */
import { pullInboxPage, type HubProcess, type PulledItem } from '../e2e/hub-process.ts';
import type { HubInstances } from './hub-instances.ts';
import { now, progress, sleep } from './stats.ts';

export interface BenchInbox {
  readonly recipient: string;
  readonly client: string;
}

/** Called once per notification, when first pulled; `pulledAt` is when its page had been read. */
export type OnPulled = (recipient: string, item: PulledItem, pulledAt: number) => void;

export interface HubRun {
  /**
   * Pulls `inboxes` by cursor (only new items come back; a pull marks them fetched, audited) every `intervalMs`,
   * at once again while pages come back full. `pulledAt` is an upper bound of when an item became pullable, at
   * most one poll round late. A failed pull is counted and repeated: an item is then seen later, never lost.
   */
  poll(inboxes: readonly BenchInbox[], intervalMs: number, onPulled: OnPulled): void;
}

interface Poller {
  readonly failures: number;
  stop(): Promise<void>;
}

const PAGE = 100;

function startPoller(
  label: string,
  hub: Pick<HubProcess, 'call'>,
  inboxes: readonly BenchInbox[],
  intervalMs: number,
  onPulled: OnPulled,
): Poller {
  const cursors = new Map<string, string | undefined>();
  const stopping = new AbortController();
  let failures = 0;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let full = false;
      for (const { recipient, client } of inboxes) {
        try {
          const page = await pullInboxPage(hub, client, recipient, cursors.get(recipient));
          const pulledAt = now();
          if (page.items.length > 0) cursors.set(recipient, page.nextCursor);
          if (page.items.length === PAGE) full = true;
          for (const item of page.items) onPulled(recipient, item, pulledAt);
        } catch (error) {
          failures += 1;
          if (failures <= 3) progress(`${label}: poll of ${recipient} failed: ${String(error)}`);
        }
      }
      if (!full) await sleep(intervalMs);
    }
  })();
  return {
    get failures() {
      return failures;
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}

/**
 * Starts `hub`, runs `body` with its pollers, and stops both whatever happens. With several processes, each pull
 * goes to the next one in turn, as requests do.
 */
export async function runAgainstHub<T>(
  label: string,
  hub: HubProcess | HubInstances,
  body: (run: HubRun) => Promise<T>,
): Promise<T> {
  const pollers: Poller[] = [];
  try {
    await hub.start(); // each with its default deadline: several processes start one after the other, then settle
    const where =
      'processes' in hub ? hub.describe() : `hub ${hub.url} (namespace ${hub.namespace}), pid ${String(hub.pid)}`;
    progress(`${label}: ${where}`);
    const result = await body({
      poll: (inboxes, intervalMs, onPulled) => {
        pollers.push(startPoller(label, hub, inboxes, intervalMs, onPulled));
      },
    });
    const failures = pollers.reduce((sum, poller) => sum + poller.failures, 0);
    if (failures > 0) progress(`${label}: ${failures} inbox polls failed and were repeated`);
    return result;
  } catch (error) {
    progress(`${label}: hub output (last lines):\n${hub.output()}`);
    throw error;
  } finally {
    await Promise.allSettled(pollers.map((poller) => poller.stop()));
    await hub.stop(15_000);
  }
}
