import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditEventsTopic,
  contentId,
  cpNotificationPayload,
  notificationsIssuedTopic,
  type AuditEvent,
  type CpPlanRecorded,
  type IssuedNotification,
} from '@hub/contracts';
import { SEED_FILES, loadFileDirectory, type FileDirectory } from '@hub/directory';
import type { Output } from '@hub/kafka';
import { defaultChildProtectionPolicy } from '@hub/policy';
import { captureLogs } from '@hub/testkit';
import { createKeyStore, verifyWithJwks, type HubKeyStore } from '@hub/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyPlan, routeOf, type NotifyDeps } from './notifier.ts';

let dir: string;
let keys: HubKeyStore;
let directory: FileDirectory;
let deps: NotifyDeps;
const TODAY = new Date('2026-11-23T10:00:00Z');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cp-notifier-'));
  keys = await createKeyStore({ file: join(dir, 'keys.json'), generateIfMissing: true });
  directory = await loadFileDirectory({ files: SEED_FILES, logger: captureLogs('notifier').logger });
  deps = {
    keys,
    policy: defaultChildProtectionPolicy(),
    directory,
    now: () => TODAY,
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function planFor(nhsNumber: string, type: CpPlanRecorded['plan']['type'] = 'child-protection-plan'): CpPlanRecorded {
  return {
    versionId: contentId('cpv', nhsNumber, type),
    localAuthority: 'E06000066',
    planId: 'CP-2026-001',
    change: 'started',
    previousVersionId: null,
    contentHash: 'b'.repeat(64),
    recordedAt: TODAY.toISOString(),
    recordedBy: { clientId: 'somerset', role: 'local-authority', organisation: 'E06000066' },
    plan: {
      type,
      nhsNumber,
      startDate: '2026-11-20',
      ...(type === 'unborn-child-protection-plan' ? { expectedDeliveryDate: '2027-03-01' } : {}),
      contact: { team: 'Taunton', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
    },
  };
}

function split(outputs: Output[]) {
  return {
    issued: outputs.filter((o) => o.topic === notificationsIssuedTopic).map((o) => o.value as IssuedNotification),
    audited: outputs.filter((o) => o.topic === auditEventsTopic).map((o) => o.value as AuditEvent),
  };
}

describe('routing a plan subject', () => {
  it.each([
    ['a registered child', '9991001034', { outcome: 'matched', practiceOds: 'L85901' }],
    ['a mother (unborn plan)', '9991002065', { outcome: 'matched', practiceOds: 'L85902' }],
    ['a child whose registration ended', '9991002073', { outcome: 'exception', reason: 'no-registered-practice' }],
    ['a restricted child', '9991002081', { outcome: 'exception', reason: 'restricted-record' }],
    ['an inactive number', '9991002057', { outcome: 'exception', reason: 'inactive-record' }],
    ['an unknown number', '9999000010', { outcome: 'exception', reason: 'nhs-number-not-found' }],
  ] as const)('%s', async (_label, nhsNumber, expected) => {
    expect(await routeOf(directory, nhsNumber, '2026-11-23')).toMatchObject(expected);
  });

  it('never routes on a record the directory gave for another NHS number', async () => {
    const other = await directory.findByNhsNumber('9991001034');
    const answersWrongly = { ...directory, findByNhsNumber: () => Promise.resolve(other) };
    await expect(routeOf(answersWrongly, '9991001042', '2026-11-23')).rejects.toThrow(/different NHS number/);
  });
});

describe('notifying a recorded plan', () => {
  it('issues one signed GP notification, verifiable with the JWKS, with its decision and steps audited', async () => {
    const { issued, audited } = split(await notifyPlan(deps, planFor('9991001034')));
    expect(issued).toHaveLength(1);
    const [notification] = issued as [IssuedNotification];
    expect(notification).toMatchObject({ recipient: 'gp:L85901', kind: 'cp-gp-notification', amends: null });
    const verified = await verifyWithJwks(notification.jws, keys.publicJwks(), { algorithms: ['ES256', 'RS512'] });
    const payload = cpNotificationPayload.parse(verified.payload);
    expect(payload).toMatchObject({
      notificationId: notification.notificationId,
      patient: { nhsNumber: '9991001034', name: { given: 'Mia', family: 'Whitlock' } },
      localAuthority: { name: 'Somerset Council', team: 'Taunton' },
    });
    expect(audited.map((event) => event.action)).toEqual([
      'decision-recorded',
      'notification-routed',
      'notification-signed',
    ]);
    expect(audited[0]?.decision).toMatchObject({ rule: 'CP-GP-PLAN', policyVersion: 'cp-2026.12.2' });
    expect(audited.every((event) => event.nhsNumber === '9991001034')).toBe(true);
  });

  it("sends an unborn plan to the mother's practice", async () => {
    const { issued } = split(await notifyPlan(deps, planFor('9991002065', 'unborn-child-protection-plan')));
    expect(issued.map((n) => n.recipient)).toEqual(['gp:L85902']);
  });

  it("sends a restricted child to the authority's exceptions inbox, never to the practice on file", async () => {
    const { issued, audited } = split(await notifyPlan(deps, planFor('9991002081')));
    expect(issued.map((n) => [n.recipient, n.kind])).toEqual([['exceptions:E06000066', 'cp-exception']]);
    expect(audited[0]?.decision).toMatchObject({ rule: 'CP-EXCEPTION', outcome: 'exception' });
  });

  it('tells the practice that a plan shared after it ended has ended, with its dates, never to record it as current', async () => {
    const ended: CpPlanRecorded = {
      ...planFor('9991001034'),
      change: 'ended',
      plan: { ...planFor('9991001034').plan, startDate: '2026-02-01', endDate: '2026-10-31' },
    };
    const { issued } = split(await notifyPlan(deps, ended));
    expect(issued.map((n) => [n.recipient, n.kind])).toEqual([['gp:L85901', 'cp-gp-notification']]);
    const verified = await verifyWithJwks(issued[0]!.jws, keys.publicJwks(), { algorithms: ['ES256', 'RS512'] });
    const payload = cpNotificationPayload.parse(verified.payload);
    expect(payload).toMatchObject({
      plan: { change: 'ended', startDate: '2026-02-01', endDate: '2026-10-31' },
      practiceRequest: deps.policy.practiceRequests['child-protection-plan']['recorded-after-end'],
    });
    expect(JSON.stringify(payload)).not.toContain('Record that this child is subject to a child protection plan');
  });

  it('tells nobody of a plan that ended before the visibility window when it was recorded, and audits why', async () => {
    const old: CpPlanRecorded = {
      ...planFor('9991001034'),
      change: 'ended',
      plan: { ...planFor('9991001034').plan, startDate: '2024-02-01', endDate: '2025-11-22' },
    };
    const { issued, audited } = split(await notifyPlan(deps, old));
    expect(issued).toEqual([]);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      action: 'decision-recorded',
      receiptId: old.versionId,
      incidentRef: 'E06000066:CP-2026-001',
      nhsNumber: '9991001034',
      recipient: null,
      decision: {
        rule: 'CP-PLAN-OUT-OF-SCOPE',
        policyVersion: 'cp-2026.12.2',
        outcome: 'withhold',
        lawfulBasis: ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18'],
      },
    });
  });

  it('derives the same notification id on redelivery', async () => {
    const first = split(await notifyPlan(deps, planFor('9991001034'))).issued[0];
    const again = split(await notifyPlan(deps, planFor('9991001034'))).issued[0];
    expect(again?.notificationId).toBe(first?.notificationId);
  });
});
