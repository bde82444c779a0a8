/*
 * A recipient's system polling its inbox as a real one does: it keeps the page's `nextCursor` (never starting over),
 * records every item it is given in order, optionally acknowledges each, and waits out a 503 (Retry-After) or an
 * unreachable hub. What it received is then checked against what was issued to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboxItem } from './flow.ts';
import { retryAfterMs, type PatientClients } from './patient-client.ts';

const POLL_MS = 250;
const PAGE_LIMIT = 20;

export interface InboxReader {
  readonly client: string;
  readonly recipient: string;
  /** Every item received, in the order received (a duplicate would appear twice). */
  readonly received: readonly InboxItem[];
  /** Polls answered 503 not-ready (waited out). */
  readonly notReady: number;
  /** Answers other than 200, 409 (the inbox's lock busy) and 503 (none expected). */
  readonly unexpected: readonly string[];
  /** Items it acknowledges whose acknowledgement has not been answered 200 yet. */
  readonly acknowledging: number;
  stop(): Promise<void>;
}

export function startInboxReader(
  clients: PatientClients,
  client: string,
  recipient: string,
  options: { readonly acknowledge?: boolean; readonly instances?: number } = {},
): InboxReader {
  const received: InboxItem[] = [];
  const unexpected: string[] = [];
  const toAcknowledge: InboxItem[] = [];
  let cursor: string | undefined;
  let notReady = 0;
  let polls = 0;
  const running = { on: true };

  /** One request, through each instance in turn (a load-balanced client); answers how long to wait next. */
  async function step(): Promise<number> {
    const via = polls++ % (options.instances ?? 1);
    const pending = toAcknowledge[0];
    try {
      const response =
        pending === undefined
          ? await clients.call(
              client,
              `/v1/inboxes/${recipient}/notifications?limit=${PAGE_LIMIT}${cursor === undefined ? '' : `&cursor=${cursor}`}`,
              {},
              via,
            )
          : await clients.call(
              client,
              `/v1/inboxes/${recipient}/notifications/${pending.id}/acknowledgement`,
              { method: 'POST', body: '{}' },
              via,
            );
      if (response.status === 503) {
        notReady++;
        await response.body?.cancel();
        return retryAfterMs(response);
      }
      if (response.status === 409) {
        await response.body?.cancel();
        return POLL_MS; // another request on this inbox (a dump's read) holds its lock
      }
      if (response.status !== 200) {
        unexpected.push(`${pending === undefined ? 'page' : 'ack'} ${response.status} ${await response.text()}`);
        return POLL_MS;
      }
      if (pending !== undefined) {
        await response.body?.cancel();
        toAcknowledge.shift();
        return 0;
      }
      const page = (await response.json()) as { items: InboxItem[]; nextCursor: string };
      received.push(...page.items);
      if (options.acknowledge === true) toAcknowledge.push(...page.items);
      cursor = page.nextCursor;
      return page.items.length === PAGE_LIMIT ? 0 : POLL_MS;
    } catch {
      return POLL_MS; // unreachable or no token yet: a real client tries again
    }
  }

  const loop = (async () => {
    while (running.on) {
      const wait = await step();
      if (wait > 0) await sleep(wait);
    }
  })();

  return {
    client,
    recipient,
    received,
    unexpected,
    get notReady() {
      return notReady;
    },
    get acknowledging() {
      return toAcknowledge.length;
    },
    async stop() {
      running.on = false;
      await loop;
    },
  };
}
