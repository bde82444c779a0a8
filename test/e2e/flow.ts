/* Helpers for cross-service tests: everything goes through the hub's public HTTP API, as a real client would. */
import type { AuditEvent, DaIncidentSubmission } from '@hub/contracts';
import type { TestHub } from '@hub/hub/testing';
import { verify, type PublicJwks } from '@hub/signing';
import { expect } from 'vitest';

export interface InboxItem {
  readonly id: string;
  readonly sequence: string;
  readonly kind: string;
  readonly amends: string | null;
  readonly status: string;
  readonly jws: string;
}

export async function postIncident(hub: TestHub, incident: DaIncidentSubmission, client = 'police') {
  const response = await hub.call(client, '/v1/domestic-abuse-incidents', {
    method: 'POST',
    body: JSON.stringify(incident),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as {
    receiptId: string;
    status: 'accepted' | 'unchanged';
    amendsReceiptId: string | null;
  };
}

/** Reads a whole inbox by cursor (marks items fetched, as a real pull does). */
export async function readInbox(hub: TestHub, client: string, recipient: string): Promise<InboxItem[]> {
  const items: InboxItem[] = [];
  let cursor: string | undefined;
  for (;;) {
    const query = cursor === undefined ? 'limit=100' : `cursor=${cursor}&limit=100`;
    const response = await hub.call(client, `/v1/inboxes/${recipient}/notifications?${query}`);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = (await response.json()) as { items: InboxItem[]; nextCursor: string };
    items.push(...page.items);
    if (page.items.length === 0) return items;
    cursor = page.nextCursor;
  }
}

/** Polls an inbox until it holds `count` items, then a little longer so that an extra (doubled) item would show. */
export async function waitForInbox(
  hub: TestHub,
  client: string,
  recipient: string,
  count: number,
): Promise<InboxItem[]> {
  await expect
    .poll(async () => (await readInbox(hub, client, recipient)).length, { timeout: 20_000, interval: 200 })
    .toBeGreaterThanOrEqual(count);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return readInbox(hub, client, recipient);
}

export async function jwks(hub: TestHub): Promise<PublicJwks> {
  const response = await fetch(`${hub.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as PublicJwks;
}

/** Verifies an item's JWS against the published JWKS and returns its payload. */
export async function openNotification(hub: TestHub, item: InboxItem): Promise<Record<string, unknown>> {
  const verified = await verify(item.jws, await jwks(hub));
  return verified.payload;
}

export async function auditSearch(hub: TestHub, query: Record<string, string>): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const parameters = new URLSearchParams({ ...query, limit: '200', ...(cursor === null ? {} : { cursor }) });
    const response = await hub.call('igOfficer', `/v1/audit/events?${parameters.toString()}`);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = (await response.json()) as { items: AuditEvent[]; nextCursor: string | null };
    events.push(...page.items);
    cursor = page.items.length === 0 ? null : page.nextCursor;
  } while (cursor !== null);
  return events;
}

/** Waits until the audit trail holds the receipt's decisions (one per subject plus the MARAC decision). */
export async function decisionsOf(hub: TestHub, receiptId: string, expected: number): Promise<AuditEvent[]> {
  let decisions: AuditEvent[] = [];
  await expect
    .poll(
      async () => {
        decisions = (await auditSearch(hub, { receiptId })).filter((event) => event.action === 'decision-recorded');
        return decisions.length;
      },
      { timeout: 20_000, interval: 250 },
    )
    .toBe(expected);
  return decisions;
}

/** The decision outcome per subject ref (`-` for the incident-level MARAC decision). */
export function outcomes(decisions: readonly AuditEvent[]): Record<string, string> {
  return Object.fromEntries(
    decisions.map((event) => [
      event.subjectRef ?? '-',
      `${event.decision?.rule ?? '?'}:${event.decision?.outcome ?? '?'}${event.recipient === null ? '' : `:${event.recipient}`}`,
    ]),
  );
}
