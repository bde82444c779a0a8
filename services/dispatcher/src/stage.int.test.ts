import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditEventsTopic,
  contentId,
  notificationsIssuedTopic,
  type AuditEvent,
  type DaIncidentDecided,
  type DaIncidentSubmission,
  type IssuedNotification,
  type SubjectIdentity,
} from '@hub/contracts';
import type { Output } from '@hub/kafka';
import { defaultDomesticAbusePolicy, evaluateIncident, loadPolicy } from '@hub/policy';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { createKeyStore, type HubKeyStore } from '@hub/signing';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineage, type Lineage } from './lineage.ts';
import { dispatch, dispatcherStage } from './stage.ts';

let dir: string;
let redis: RedisClient;
let keys: HubKeyStore;
let lineage: Lineage;
const policy = defaultDomesticAbusePolicy();
const now = () => new Date('2026-11-23T10:00:00Z');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dispatcher-'));
  keys = await createKeyStore({ file: join(dir, 'keys.json'), generateIfMissing: true });
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'dispatcher-test',
    logger: captureLogs().logger,
  });
  lineage = createLineage(redis);
});
afterAll(async () => {
  await closeRedis(redis);
  await rm(dir, { recursive: true, force: true });
});

const INCIDENT = `ASP-DISPATCH-${Math.random().toString(36).slice(2, 10)}`;

/** A standard-risk incident, consent given: the victim (L85901) and the child (at `childPractice`) are shared. */
function decided(version: string, childPractice: string): DaIncidentDecided {
  const receiptId = contentId('rcpt', 'ASP', INCIDENT, version);
  const submission: DaIncidentSubmission = {
    incidentId: INCIDENT,
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'standard' },
    repeatIncidentsLast12Months: 0,
    childrenPresent: false,
    victimConsent: 'given',
    circumstances: `Version ${version}.`,
    subjects: [
      {
        ref: 'V1',
        role: 'victim',
        nhsNumber: '9991001018',
        name: { given: 'Sarah', family: 'Whitlock' },
        birthDate: '1991-04-12',
      },
      {
        ref: 'C1',
        role: 'child',
        nhsNumber: '9991001042',
        name: { given: 'Leo', family: 'Whitlock' },
        birthDate: '2020-02-14',
      },
    ],
    officer: { name: 'PC Jordan Example', collarNumber: 'AS1234', phone: '01632 960000' },
  };
  const identities: SubjectIdentity[] = [
    { ref: 'V1', outcome: 'matched', nhsNumber: '9991001018', practiceOds: 'L85901', matchedBy: 'nhs-number' },
    { ref: 'C1', outcome: 'matched', nhsNumber: '9991001042', practiceOds: childPractice, matchedBy: 'nhs-number' },
  ];
  return {
    identified: {
      received: {
        receiptId,
        force: 'ASP',
        incidentId: INCIDENT,
        contentHash: 'a'.repeat(64),
        amendsReceiptId: null,
        receivedAt: '2026-11-22T00:00:00Z',
        submittedBy: 'police',
        submission,
      },
      identities,
      directoryVersion: 'b'.repeat(64),
    },
    decisions: evaluateIncident(policy, { receiptId, submission, identities }),
  };
}

const deps = () => ({ keys, policy, lineage, now });

/** The shipped policy without its withdrawal wording (like da-2026.11.1, which predates withdrawals). */
function withoutWording() {
  const { withdrawal: _withdrawal, ...document } = policy.document;
  return loadPolicy({ ...document, version: 'da-2026.11.0' });
}

function issued(outputs: readonly Output[]): Omit<IssuedNotification, 'jws'>[] {
  return outputs
    .filter((o) => o.topic === notificationsIssuedTopic)
    .map((o) => {
      const { jws: _jws, ...rest } = o.value as IssuedNotification;
      return rest;
    });
}
const audited = (outputs: readonly Output[]) =>
  outputs.filter((o) => o.topic === auditEventsTopic).map((o) => o.value as AuditEvent);

describe('dispatching amendments that withdraw', () => {
  let firstChildId: string;
  let withdrawalId: string;

  it('the first receipt issues to both practices and withdraws nothing', async () => {
    const outputs = issued(await dispatch(deps(), decided('1', 'L85902')));
    expect(outputs.map((n) => [n.kind, n.recipient, n.subjectRef, n.amends])).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1', null],
      ['da-gp-notification', 'gp:L85902', 'C1', null],
    ]);
    firstChildId = outputs[1]!.notificationId;
  });

  it('re-identified at another practice: one withdrawal to the first; a retry gives the same ids and events', async () => {
    const input = decided('2', 'L85903');
    const once = await dispatch(deps(), input);
    const retried = await dispatch(deps(), input);
    expect(issued(retried)).toEqual(issued(once));
    expect(audited(retried).map((e) => e.eventId)).toEqual(audited(once).map((e) => e.eventId));

    const notifications = issued(once);
    expect(notifications.map((n) => [n.kind, n.recipient, n.subjectRef])).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1'],
      ['da-gp-notification', 'gp:L85903', 'C1'],
      ['da-withdrawal', 'gp:L85902', 'C1'],
    ]);
    const withdrawal = notifications[2]!;
    expect(withdrawal.amends).toBe(firstChildId);
    expect(notifications[1]!.amends).toBeNull();
    withdrawalId = withdrawal.notificationId;

    const events = audited(once).filter((e) => e.recipient === 'gp:L85902');
    expect(
      events.map((e) => [
        e.action,
        e.notificationId,
        e.subjectRef,
        e.nhsNumber,
        e.action === 'notification-signed' ? '-' : e.reason,
      ]),
    ).toEqual([
      ['notification-routed', withdrawalId, 'C1', null, 'identity-changed'],
      ['notification-signed', withdrawalId, 'C1', null, '-'],
      ['notification-withdrawn', firstChildId, 'C1', null, 'identity-changed'],
    ]);
  });

  it('a further amendment that still does not send to the first practice withdraws nothing more', async () => {
    const notifications = issued(await dispatch(deps(), decided('3', 'L85903')));
    expect(notifications.map((n) => [n.kind, n.recipient])).toEqual([
      ['da-gp-notification', 'gp:L85901'],
      ['da-gp-notification', 'gp:L85903'],
    ]);
  });

  it('back at the first practice: the new notification amends the withdrawal, and the other practice is told', async () => {
    const notifications = issued(await dispatch(deps(), decided('4', 'L85902')));
    expect(notifications.map((n) => [n.kind, n.recipient, n.subjectRef])).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1'],
      ['da-gp-notification', 'gp:L85902', 'C1'],
      ['da-withdrawal', 'gp:L85903', 'C1'],
    ]);
    expect(notifications[1]!.amends).toBe(withdrawalId);
  });

  it('refuses to start with a policy that has no withdrawal wording', () => {
    expect(() => dispatcherStage({ keys, policy: withoutWording(), lineage, now })).toThrow(
      'policy da-2026.11.0 has no withdrawal wording; the dispatcher needs it',
    );
  });
});
