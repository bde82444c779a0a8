/*
 * A dump of what the hub's clients read from its views: whole inboxes (by cursor), audit searches bounded by a time
 * before any of the dump's own searches (each search is itself audited), receipt statuses, plan reads and flag
 * answers. Taken before a loss and again after the rebuild, the second must hold the first as it was (an inbox
 * may only have grown at its end).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent } from '@hub/contracts';
import { expect } from 'vitest';
import type { InboxItem } from './flow.ts';
import type { PatientClients } from './patient-client.ts';

export interface DumpSpec {
  /** [client, recipient] */
  readonly inboxes: readonly (readonly [string, string])[];
  /** Receipt ids, read by the force `police`. */
  readonly receipts: readonly string[];
  /** [client, planId] */
  readonly plans: readonly (readonly [string, string])[];
  /** [client, nhsNumber]: a look-up by the child's own practice (which changes nothing in the view). */
  readonly flags: readonly (readonly [string, string])[];
}

export interface Dump {
  readonly to: string;
  readonly inboxes: Record<string, InboxItem[]>;
  /** Audit searches up to `to`: by receipt, by child and by recipient. */
  readonly audit: Record<string, AuditEvent[]>;
  readonly receipts: Record<string, unknown>;
  readonly plans: Record<string, unknown>;
  readonly flags: Record<string, unknown>;
}

const STABLE_WITHIN_MS = 45_000;

async function json(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${what}: ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

async function readWholeInbox(clients: PatientClients, client: string, recipient: string, via: number) {
  const items: InboxItem[] = [];
  let cursor: string | undefined;
  for (;;) {
    const query = cursor === undefined ? 'limit=100' : `cursor=${cursor}&limit=100`;
    const response = await clients.call(client, `/v1/inboxes/${recipient}/notifications?${query}`, {}, via);
    if (response.status === 409) {
      // The inbox's own reader holds its lock for longer than the route waits: read the page again.
      await response.body?.cancel();
      await sleep(100);
      continue;
    }
    const page = (await json(response, `inbox ${recipient}`)) as { items: InboxItem[]; nextCursor: string };
    items.push(...page.items);
    if (page.items.length === 0) return items;
    cursor = page.nextCursor;
  }
}

async function searchAudit(clients: PatientClients, query: Record<string, string>, via: number) {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const parameters = new URLSearchParams({ ...query, limit: '200', ...(cursor === null ? {} : { cursor }) });
    const response = await clients.call('igOfficer', `/v1/audit/events?${parameters.toString()}`, {}, via);
    const page = (await json(response, 'audit search')) as { items: AuditEvent[]; nextCursor: string | null };
    events.push(...page.items);
    cursor = page.items.length === 0 ? null : page.nextCursor;
  } while (cursor !== null);
  return events;
}

/** One dump through instance `via`; every read must answer 200. */
export async function dumpHub(clients: PatientClients, spec: DumpSpec, to: string, via = 0): Promise<Dump> {
  const inboxes: Dump['inboxes'] = {};
  const audit: Dump['audit'] = {};
  const receipts: Dump['receipts'] = {};
  const plans: Dump['plans'] = {};
  const flags: Dump['flags'] = {};
  for (const [client, recipient] of spec.inboxes) {
    inboxes[recipient] = await readWholeInbox(clients, client, recipient, via);
    audit[`recipient=${recipient}`] = await searchAudit(clients, { recipient, to }, via);
  }
  for (const receiptId of spec.receipts) {
    receipts[receiptId] = await json(
      await clients.call('police', `/v1/domestic-abuse-incidents/${receiptId}`, {}, via),
      'receipt status',
    );
    audit[`receiptId=${receiptId}`] = await searchAudit(clients, { receiptId, to }, via);
  }
  for (const [client, planId] of spec.plans) {
    plans[planId] = await json(await clients.call(client, `/v1/child-protection-plans/${planId}`, {}, via), 'plan');
  }
  for (const [client, nhsNumber] of spec.flags) {
    const answer = await json(
      await clients.call(client, `/v1/child-protection-flags?nhsNumber=${nhsNumber}`, {}, via),
      'flags',
    );
    // Each look-up has its own id and time; the rest is the view.
    const { lookupId: _id, asOf: _asOf, ...view } = answer as Record<string, unknown>;
    flags[nhsNumber] = view;
    audit[`nhsNumber=${nhsNumber}`] = await searchAudit(clients, { nhsNumber, to }, via);
  }
  return { to, inboxes, audit, receipts, plans, flags };
}

/**
 * A dump once the views have settled: taken again until two in a row are the same (the first may still be moving:
 * its own inbox reads mark items fetched; events before `to` may still be arriving).
 */
export async function stableDump(clients: PatientClients, spec: DumpSpec, to: string, via = 0): Promise<Dump> {
  const deadline = Date.now() + STABLE_WITHIN_MS;
  let previous = await dumpHub(clients, spec, to, via);
  for (;;) {
    await sleep(750);
    const next = await dumpHub(clients, spec, to, via);
    if (JSON.stringify(next) === JSON.stringify(previous)) return next;
    if (Date.now() > deadline) throw new Error(`the views did not settle within ${STABLE_WITHIN_MS} ms`);
    previous = next;
  }
}

/** `after` holds `before` as it was: every read identical, except that an inbox may have grown at its end. */
export function expectExtends(before: Dump, after: Dump): void {
  expect(after.to).toBe(before.to);
  for (const [recipient, items] of Object.entries(before.inboxes)) {
    const kept = after.inboxes[recipient];
    expect(kept, `inbox ${recipient} read after`).toBeDefined();
    expect(kept?.slice(0, items.length), `inbox ${recipient}: what it held before, as it was`).toEqual(items);
  }
  for (const part of ['audit', 'receipts', 'plans', 'flags'] as const) {
    for (const [name, value] of Object.entries(before[part])) {
      expect(after[part][name], `${part} ${name}`).toEqual(value);
    }
  }
}
