/*
 * The acceptance test for crash safety: "A test kills one service mid-stream and shows no notification is lost or
 * doubled after it restarts." The real hub runs as a child process; a police client posts a stream of high-risk
 * Whitlock incidents and, once the 10th is accepted, the hub is SIGKILLed while the pipeline still has work. Posts
 * that fail while it is down are retried (a police system retries, and the same incident resent unchanged must not
 * double anything); the hub restarts with the same topics, Redis views, keys, registry and URL; then every inbox is
 * pulled and each notification counted by what it says (verified JWS payload), not by how many items there are.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DaIncidentSubmission } from '@hub/contracts';
import { testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubProcess, openVerified, pullInbox, type HubProcess, type PulledItem } from './hub-process.ts';
import { whitlockIncident } from './whitlock.ts';

const INCIDENTS = 36;
const KILL_AFTER_ACCEPTED = 12;
/** Enough that the kill lands while several accepted requests share a Kafka transaction (group commit, @hub/kafka). */
const POSTS_IN_FLIGHT = 12;
/** How long one incident may take to be accepted, hub restart included (the restart waits ~15 s, see below). */
const POST_DEADLINE_MS = 150_000;
const DRAIN_DEADLINE_MS = 120_000;

/** Each high-risk Whitlock incident (infra/seed/README.md): inbox, client, and the subjects it must hear about. */
const EXPECTED = [
  { recipient: 'gp:L85901', client: 'gpVictim', subjects: ['9991001018', '9991001034'] }, // Sarah, Mia
  { recipient: 'gp:L85902', client: 'gpOther', subjects: ['9991001042'] }, // Leo
  { recipient: 'gp:L85904', client: 'gpPerpetrator', subjects: ['9991001026'] }, // Daniel
  { recipient: 'marac:E06000066', client: 'marac', subjects: ['-'] }, // one referral about everyone
] as const;
const RECIPIENT_STATUSES = [
  '-:marac:E06000066',
  'C1:gp:L85901',
  'C2:gp:L85902',
  'P1:gp:L85904',
  'V1:gp:L85901',
] as const;
const DELIVERED_OR_LATER = ['delivered', 'fetched', 'acknowledged'];

interface Receipt {
  readonly receiptId: string;
  readonly status: 'accepted' | 'unchanged';
  readonly amendsReceiptId: string | null;
}

let hub: HubProcess;
beforeAll(async () => {
  const endpoints = testEndpoints();
  hub = await createHubProcess({
    kafkaBrokers: endpoints.kafkaBrokers,
    redisUrl: endpoints.redisUrl,
    postgresUrl: endpoints.postgresUrl,
  });
  await hub.start(90_000);
}, 120_000);
afterAll(async () => {
  // Always: stops the child (SIGTERM, then SIGKILL after the grace) whether the test passed, failed or timed out.
  await hub.stop(10_000);
}, 30_000);

/**
 * A police system's submission: retried until the hub answers 202. Refused connections and token failures (the hub
 * is down), 409 (a lock the killed process held until it expires) and 5xx are retried with backoff; anything else
 * fails the test. `failures` records what was retried.
 */
async function submitUntilAccepted(incident: DaIncidentSubmission, failures: string[]): Promise<Receipt> {
  const deadline = Date.now() + POST_DEADLINE_MS;
  let delayMs = 200;
  for (;;) {
    let failure: string;
    try {
      const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
        method: 'POST',
        body: JSON.stringify(incident),
      });
      if (response.status === 202) return (await response.json()) as Receipt;
      const text = await response.text();
      if (response.status !== 409 && response.status < 500) {
        throw new Error(`POST ${incident.incidentId}: ${response.status} ${text}`);
      }
      failure = `http ${response.status}`;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('POST ')) throw error;
      failure = 'no answer';
    }
    failures.push(failure);
    if (Date.now() + delayMs > deadline) {
      throw new Error(`POST ${incident.incidentId} not accepted within ${POST_DEADLINE_MS} ms (last: ${failure})`);
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 2_000);
  }
}

describe('a hub killed mid-stream and restarted', () => {
  const run = randomBytes(4).toString('hex');
  const incidents = Array.from({ length: INCIDENTS }, (_, index) =>
    whitlockIncident({ incidentId: `ASP-RESTART-${run}-${String(index + 1).padStart(2, '0')}` }),
  );

  it('delivers every notification exactly once and reports every recipient delivered', async ({ annotate }) => {
    const receipts = new Map<string, Receipt>();
    const failures: string[] = [];
    const acceptedBeforeKill = new Set<string>();
    let restart: Promise<void> | undefined;
    let restartedAt = Number.POSITIVE_INFINITY;

    // SIGKILL (sent synchronously, before the next POST can be answered), then the same hub again.
    const killAndRestart = async (): Promise<void> => {
      const killing = hub.kill('SIGKILL');
      for (const incidentId of receipts.keys()) acceptedBeforeKill.add(incidentId);
      await killing;
      await sleep(500);
      restartedAt = Date.now();
      // Ready takes ~15 s here: the new instance's consumers join groups whose dead members must time out first
      // (the Kafka client's session timeout).
      await hub.start(120_000);
    };

    // The police system: incidents in order, a few in flight, each retried until accepted.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < incidents.length) {
        const incident = incidents[next++]!;
        const receipt = await submitUntilAccepted(incident, failures);
        receipts.set(incident.incidentId, receipt);
        if (receipts.size === KILL_AFTER_ACCEPTED && restart === undefined) restart = killAndRestart();
      }
    };
    await Promise.all(Array.from({ length: POSTS_IN_FLIGHT }, worker));
    expect(restart, 'the hub was killed mid-stream').toBeDefined();
    await restart;
    expect(acceptedBeforeKill.size).toBeGreaterThanOrEqual(KILL_AFTER_ACCEPTED);
    expect(acceptedBeforeKill.size).toBeLessThan(INCIDENTS);
    expect(failures.length, 'posts during the outage failed and were retried').toBeGreaterThan(0);

    // One receipt per incident, never an amendment: the hub saw each incident as one version.
    expect(receipts.size).toBe(INCIDENTS);
    for (const receipt of receipts.values()) {
      expect(receipt.amendsReceiptId).toBeNull();
      expect(receipt.receiptId).toMatch(/^rcpt_[a-f0-9]{32}$/);
    }
    expect(new Set([...receipts.values()].map((receipt) => receipt.receiptId)).size).toBe(INCIDENTS);

    // A police system that did not see its answers resends: unchanged, same receipt, nothing new downstream.
    for (const incident of incidents) {
      const resent = await submitUntilAccepted(structuredClone(incident), failures);
      expect(resent).toEqual({
        receiptId: receipts.get(incident.incidentId)!.receiptId,
        status: 'unchanged',
        amendsReceiptId: null,
      });
    }

    // Pull every inbox until it holds what it should, then once more after a pause, so a late extra would show.
    const items = new Map<string, PulledItem[]>(EXPECTED.map(({ recipient }) => [recipient, []]));
    const cursors = new Map<string, string | undefined>();
    const pullAll = async (): Promise<void> => {
      for (const { recipient, client } of EXPECTED) {
        const pulled = await pullInbox(hub, client, recipient, cursors.get(recipient));
        items.get(recipient)!.push(...pulled.items);
        cursors.set(recipient, pulled.cursor);
      }
    };
    const complete = (): boolean =>
      EXPECTED.every(({ recipient, subjects }) => items.get(recipient)!.length >= INCIDENTS * subjects.length);
    const drainDeadline = Date.now() + DRAIN_DEADLINE_MS;
    await pullAll();
    while (!complete() && Date.now() < drainDeadline) {
      await sleep(500);
      await pullAll();
    }
    await sleep(3_000);
    await pullAll();

    // Count by content: the verified payload's incident, recipient and patient (or '-' for the MARAC referral).
    const jwks = await hub.jwks();
    const receiptIdOf = new Map([...receipts].map(([incidentId, receipt]) => [incidentId, receipt.receiptId]));
    const counts: Record<string, number> = {};
    const notificationIds = new Set<string>();
    let issuedAfterRestartForEarlierIncidents = 0;
    for (const [recipient, pulled] of items) {
      for (const item of pulled) {
        const payload = await openVerified(item.jws, jwks);
        const incident = payload['incident'] as { incidentId: string };
        const patient = payload['patient'] as { nhsNumber: string } | undefined;
        expect(payload['recipient']).toBe(recipient);
        expect(payload['notificationId']).toBe(item.id);
        expect(payload['kind']).toBe(recipient.startsWith('gp:') ? 'da-gp-notification' : 'da-marac-referral');
        expect(payload['receiptId'], `receipt of ${incident.incidentId}`).toBe(receiptIdOf.get(incident.incidentId));
        notificationIds.add(item.id);
        const key = `${incident.incidentId}|${recipient}|${patient?.nhsNumber ?? '-'}`;
        counts[key] = (counts[key] ?? 0) + 1;
        if (acceptedBeforeKill.has(incident.incidentId) && Date.parse(item.issuedAt) >= restartedAt) {
          issuedAfterRestartForEarlierIncidents += 1;
        }
      }
    }
    const expected: Record<string, number> = {};
    for (const incident of incidents) {
      for (const { recipient, subjects } of EXPECTED) {
        for (const subject of subjects) expected[`${incident.incidentId}|${recipient}|${subject}`] = 1;
      }
    }
    // Exactly once each, nothing missing and nothing extra.
    expect(counts).toEqual(expected);
    expect(notificationIds.size).toBe(INCIDENTS * 5);
    expect(items.get('marac:E06000066')).toHaveLength(INCIDENTS);
    // The kill interrupted work in progress: incidents accepted before it were still being notified after it.
    expect(issuedAfterRestartForEarlierIncidents).toBeGreaterThan(0);

    // The force sees every recipient of every receipt delivered (or fetched, since the inboxes were pulled).
    const statusDeadline = Date.now() + 60_000;
    const statusOf = async (receiptId: string): Promise<string[]> => {
      const response = await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        recipients: { recipient: string; subjectRef: string | null; status: string }[];
      };
      return body.recipients.map((r) => `${r.subjectRef ?? '-'}:${r.recipient}:${r.status}`).sort();
    };
    const delivered = (entries: readonly string[]): boolean =>
      entries.length === RECIPIENT_STATUSES.length &&
      entries.every((entry, index) => {
        const status = entry.slice(entry.lastIndexOf(':') + 1);
        return entry === `${RECIPIENT_STATUSES[index]!}:${status}` && DELIVERED_OR_LATER.includes(status);
      });
    for (const [incidentId, { receiptId }] of receipts) {
      let entries = await statusOf(receiptId);
      while (!delivered(entries) && Date.now() < statusDeadline) {
        await sleep(250);
        entries = await statusOf(receiptId);
      }
      expect(delivered(entries), `${incidentId}: ${entries.join(', ')}`).toBe(true);
    }

    const retried = Object.entries(
      failures.reduce<Record<string, number>>(
        (tally, failure) => ({ ...tally, [failure]: (tally[failure] ?? 0) + 1 }),
        {},
      ),
    );
    await annotate(
      `killed after ${acceptedBeforeKill.size} accepted; retried posts: ${retried.map(([k, n]) => `${k} ×${n}`).join(', ')}; ` +
        `${issuedAfterRestartForEarlierIncidents} notifications of earlier incidents issued after the restart`,
    );
  }, 360_000);
});
