import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNotification, postIncident, waitForInbox, type InboxItem } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

// Two instances of one deployment (same Kafka topics, Redis keys, clients and signing keys), as when the hub is
// scaled out: they share every stage's consumer group and take requests side by side.
let first: TestHub;
let second: TestHub;
beforeAll(async () => {
  first = await startTestHub();
  second = await startTestHub({ joining: first, env: { KAFKA_INSTANCE_NAME: 'hub-2' } });
});
afterAll(async () => {
  await Promise.all([first.stop(), second.stop()]);
});

/** Each incident's id, as many times as the victim's practice holds a notification of it. */
async function incidentIds(hub: TestHub, items: readonly InboxItem[]): Promise<string[]> {
  const payloads = await Promise.all(items.map((item) => openNotification(hub, item)));
  return payloads.map((payload) => (payload['incident'] as { incidentId: string }).incidentId).sort();
}

describe('two hub instances side by side', () => {
  // Sarah (victim) and Mia (child) are both registered at L85901: two notifications per incident.
  const before = Array.from({ length: 8 }, () => whitlockIncident());
  const after = Array.from({ length: 4 }, () => whitlockIncident());

  it('incidents posted to either instance are each delivered exactly once', async () => {
    for (const [n, incident] of before.entries()) await postIncident(n % 2 === 0 ? first : second, incident);
    const items = await waitForInbox(first, 'gpVictim', 'gp:L85901', 16);
    expect(await incidentIds(first, items)).toEqual(
      before.flatMap((incident) => [incident.incidentId, incident.incidentId]).sort(),
    );
    // The other instance serves the same inbox.
    expect((await waitForInbox(second, 'gpVictim', 'gp:L85901', 16)).map((item) => item.id)).toEqual(
      items.map((item) => item.id),
    );
  });

  it('when one instance stops, the other takes over its partitions without losing or doubling anything', async () => {
    await first.stop();
    for (const incident of after) await postIncident(second, incident);
    const items = await waitForInbox(second, 'gpVictim', 'gp:L85901', 24);
    expect(await incidentIds(second, items)).toEqual(
      [...before, ...after].flatMap((incident) => [incident.incidentId, incident.incidentId]).sort(),
    );
  });
});
