/*
 * What the console's tests look at: one incident through the whole real pipeline (received, matched, decided,
 * signed, stored), its GP practice pulling and acknowledging the notification, and console accounts to sign in with.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { VICTIM_NHS_NUMBER, victimOnlyIncident, type TestHub } from '@hub/hub/testing';

export { VICTIM_NHS_NUMBER };

/** Somerset's area IG officer (the victim's authority) and a national one. */
export const OFFICERS = {
  somerset: {
    id: 'somerset-ig-1',
    displayName: 'Sam Taylor',
    role: 'ig-officer',
    organisation: 'E06000066',
    username: 'sam.taylor',
    password: 'correct horse battery staple',
  },
} as const;

export async function writeAccountsFile(dir: string, hashPassword: (password: string) => Promise<string>) {
  const file = path.join(dir, 'console-accounts.json');
  const accounts = await Promise.all(
    Object.values(OFFICERS).map(async ({ password, ...account }) => ({
      ...account,
      passwordHash: await hashPassword(password),
    })),
  );
  await writeFile(file, `${JSON.stringify({ accounts }, null, 2)}\n`, { mode: 0o600 });
  return file;
}

interface InboxItem {
  readonly id: string;
}

/** Posts the incident and waits for its GP notification; the practice fetches it and acknowledges it. */
export async function runIncident(hub: TestHub, incidentId: string) {
  const posted = await hub.call('police', '/v1/domestic-abuse-incidents', {
    method: 'POST',
    body: JSON.stringify(victimOnlyIncident(incidentId)),
  });
  expect(posted.status, await posted.clone().text()).toBe(202);
  const { receiptId } = (await posted.json()) as { receiptId: string };
  // Polled by hand: this runs in beforeAll, where vitest's expect.poll is not allowed.
  let items: InboxItem[] = [];
  const inboxDeadline = Date.now() + 30_000;
  while (items.length === 0) {
    if (Date.now() > inboxDeadline) throw new Error('no notification reached the GP inbox within 30 s');
    await sleep(250);
    const response = await hub.call('gpVictim', '/v1/inboxes/gp:L85901/notifications?limit=100');
    if (response.status === 200) items = ((await response.json()) as { items: InboxItem[] }).items;
  }
  const notificationId = items[0]?.id;
  if (notificationId === undefined) throw new Error('the GP inbox holds no notification');
  const acknowledged = await hub.call(
    'gpVictim',
    `/v1/inboxes/gp:L85901/notifications/${notificationId}/acknowledgement`,
    { method: 'POST' },
  );
  expect(acknowledged.status, await acknowledged.clone().text()).toBe(200);
  // The trail is a projection of the audit topic: wait until it holds the whole story, acknowledgement included.
  const trailDeadline = Date.now() + 30_000;
  for (;;) {
    const response = await hub.call('igOfficer', `/v1/audit/events?receiptId=${receiptId}&limit=200`);
    const page = response.status === 200 ? ((await response.json()) as { items: { action: string }[] }) : null;
    if (page?.items.some((event) => event.action === 'notification-acknowledged') === true) break;
    if (Date.now() > trailDeadline) throw new Error('the audit trail did not show the acknowledgement within 30 s');
    await sleep(250);
  }
  return { receiptId, incidentRef: `ASP:${incidentId}`, notificationId };
}
